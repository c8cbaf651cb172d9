package armor.server.engine;

/** A started request for one prompt: its size, and a way to stop it (client disconnected). */
public interface Generation {
    int promptTokens();

    void cancel();
}
