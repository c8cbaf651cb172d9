package armor.server.api;

import armor.runtime.generate.SchedulerRefusal;

/**
 * A request the server refuses, carrying what OpenAI's error JSON needs:
 * {@code {"error": {"message", "type", "param", "code"}}} and the HTTP status to answer with.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiException(int status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    public ApiException(int status, String type, String param, String code, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 for a field that is missing, of the wrong type or out of range. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
    }

    /** 400 for a field the server recognises as OpenAI's but does not implement (rather than ignoring it). */
    public static ApiException unsupported(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "unsupported_parameter", message);
    }

    /** The scheduler's refusal as OpenAI answers it: 429 when the queue is full, 503 when shutting down. */
    public static ApiException of(SchedulerRefusal refusal) {
        return switch (refusal.reason()) {
            case QUEUE_FULL -> new ApiException(429, "rate_limit_exceeded", null, "queue_full", refusal.getMessage(), 1);
            case SHUTTING_DOWN -> new ApiException(503, "server_error", null, "shutting_down", refusal.getMessage(), 5);
            case FAILED -> new ApiException(503, "server_error", null, "server_failed", refusal.getMessage(), 5);
        };
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** Seconds for a {@code Retry-After} header (queue full, shutting down), or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
