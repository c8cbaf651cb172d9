package armor.server;

/**
 * One line per answered API request (client address, method, path, status, duration, tokens, and the request's
 * {@code user} field, which OpenAI defines for telling end users apart): where operators see who asked for what.
 */
@FunctionalInterface
public interface AccessLog {
    AccessLog NONE = line -> {};

    void log(String line);
}
