package armor.server.engine;

/** A started request for one prompt: its size, and a way to stop it (client disconnected) or hold it back. */
public interface Generation {
    int promptTokens();

    void cancel();

    /** Paused choices take no step (their client is not taking the output), until resumed with {@code false}. */
    void pause(boolean pause);
}
