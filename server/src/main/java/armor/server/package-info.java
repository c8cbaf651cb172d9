/** The OpenAI-compatible HTTP server (Netty), request scheduling with continuous batching, metrics. */
package armor.server;
