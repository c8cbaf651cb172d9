package armor.server;

/**
 * How much response output may wait in the server's memory for clients that do not read it.
 *
 * @param lowWaterMark   a connection whose unsent bytes fall below this is writable again: its paused sequences
 *                       resume
 * @param highWaterMark  a connection with more unsent bytes than this is not writable: its sequences are paused
 *                       (they take no step), so a client that stops reading stops the generation for it
 * @param perConnection  a stream whose unsent bytes still pass this (one step's chunks can overshoot the high
 *                       water mark, but not by this much) is cancelled and its connection closed
 * @param total          while the unsent bytes of all connections together pass this, new generation requests get
 *                       429 (admission counts bytes, not only sequences)
 * @param socketSendBuffer the kernel's send buffer per connection (SO_SNDBUF; Linux reserves twice this), 0 for the
 *                       system's auto-tuning: the kernel takes up to that much from a client that does not read
 *                       before the connection turns unwritable, and auto-tuning lets that grow to megabytes
 */
public record OutputLimits(int lowWaterMark, int highWaterMark, long perConnection, long total, int socketSendBuffer) {
    public static final OutputLimits DEFAULTS = new OutputLimits(64 << 10, 256 << 10, 8L << 20, 64L << 20, 128 << 10);

    public OutputLimits {
        if (socketSendBuffer < 0 || lowWaterMark < 0 || highWaterMark < lowWaterMark || perConnection < highWaterMark || total < perConnection) {
            throw new IllegalArgumentException("output limits must grow: 0 <= low <= high <= per connection <= total");
        }
    }
}
