package armor.bench;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.generate.TokenListener;
import armor.runtime.model.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs sequences the way users run them, and times them: each sequence is one {@link Generator#generate} call, i.e.
 * the one generation loop ({@code BatchScheduler} with one sequence, the runtime's {@code Sampler}) that {@code armor
 * generate}, {@code armor chat} and, with more sequences, the server run. End-of-sequence tokens are ignored, so every
 * sequence has exactly the length asked for; no tokenizer is used (the prompts are token ids), so detokenization is
 * not timed.
 * <p>
 * Several models' sequences take turns token by token (dense, 2:4, ARMOR, dense, ...): each sequence's listener,
 * called by its loop after the token was sampled, hands the turn on and waits for it to come back before the loop
 * goes on. Only one model computes at any moment, and a change of machine load during the run hits every model
 * alike. A token's time is one pass of its loop: from the moment the turn came back after the previous token to the
 * moment the next one was sampled (the forward step, sampling and the loop's own work).
 */
final class GenerationLoop {
    /**
     * One sequence as its loop produced it.
     *
     * @param tokens         the generated ids
     * @param prefillSeconds time to the first token (prompt prefill and its sampling), as {@link Generator} measures it
     * @param tokenSeconds   time of each later token, one pass of the loop each ({@code tokens.length - 1} values)
     */
    record Sequence(int[] tokens, double prefillSeconds, double[] tokenSeconds) {
        double decodeSeconds() {
            double s = 0;
            for (double t : tokenSeconds) s += t;
            return s;
        }

        /** Decode tokens/s: the tokens after the first over the time of their passes. */
        double decodeTokensPerSecond() {
            return tokenSeconds.length / decodeSeconds();
        }
    }

    private GenerationLoop() {}

    /**
     * Generates one sequence of exactly {@code maxTokens} tokens from {@code prompts.get(i)} on {@code models.get(i)}
     * for every i, the sequences taking turns token by token; returns them in order.
     */
    static List<Sequence> run(List<Model> models, List<int[]> prompts, int maxTokens, SamplingParams sampling) {
        int n = models.size();
        if (prompts.size() != n) throw new IllegalArgumentException(n + " models, " + prompts.size() + " prompts");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens " + maxTokens + ", expected at least 1");
        for (int i = 0; i < n; i++) {
            int room = models.get(i).config().maxPositions() - prompts.get(i).length;
            if (maxTokens > room) {
                throw new IllegalArgumentException("a prompt of " + prompts.get(i).length + " tokens and " + maxTokens
                        + " generated do not fit the context length " + models.get(i).config().maxPositions()
                        + " (max_position_embeddings in config.json)");
            }
        }
        Turns turns = new Turns(n);
        Sequence[] out = new Sequence[n];
        Throwable[] errors = new Throwable[n];
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int who = i;
            threads.add(Thread.ofPlatform().name("armor-bench-" + i).start(() -> {
                try {
                    turns.await(who);
                    Timer timer = new Timer(turns, who, maxTokens);
                    GenerationResult r = new Generator(models.get(who), null).generate(prompts.get(who), sampling,
                            new StopConditions(maxTokens, List.of(), true), timer);
                    if (r.tokens().length != maxTokens) {
                        throw new IllegalStateException("the loop stopped after " + r.tokens().length + " of "
                                + maxTokens + " tokens (" + r.stopReason() + ")");
                    }
                    out[who] = new Sequence(r.tokens(), r.prefillNanos() / 1e9, timer.seconds());
                } catch (Throwable t) {
                    errors[who] = t;
                } finally {
                    turns.leave(who);
                }
            }));
        }
        for (Thread t : threads) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        for (Throwable t : errors) {
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
        return List.of(out);
    }

    /** Times each pass of one sequence's loop and takes turns with the other sequences between passes. */
    private static final class Timer implements TokenListener {
        private final Turns turns;
        private final int who;
        private final int maxTokens;
        private final double[] seconds;
        private int count;
        private long resumed;

        Timer(Turns turns, int who, int maxTokens) {
            this.turns = turns;
            this.who = who;
            this.maxTokens = maxTokens;
            this.seconds = new double[maxTokens - 1];
        }

        @Override
        public void onToken(int token, String text) {
            long now = System.nanoTime();
            if (token < 0) return; // text released at the end (not with a null tokenizer)
            if (count > 0) seconds[count - 1] = (now - resumed) / 1e9;
            count++;
            if (count == maxTokens) return; // the loop finishes; the turn moves on when generate returns
            turns.pass(who);
            turns.await(who);
            resumed = System.nanoTime();
        }

        double[] seconds() {
            return seconds.clone();
        }
    }

    /** Whose turn it is, among {@code n} parties in a fixed order; a party that left is skipped. */
    static final class Turns {
        private final boolean[] left;
        private int turn;

        Turns(int n) {
            left = new boolean[n];
        }

        synchronized void await(int who) {
            boolean interrupted = false;
            while (turn != who) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }

        /** {@code who} is done for now: the next party still in gets the turn ({@code who} again if it is alone). */
        synchronized void pass(int who) {
            if (turn == who) advance();
        }

        /** {@code who} is done for good. */
        synchronized void leave(int who) {
            left[who] = true;
            if (turn == who) advance();
        }

        private void advance() {
            int n = left.length;
            for (int i = 1; i <= n; i++) {
                int c = (turn + i) % n;
                if (!left[c]) {
                    turn = c;
                    notifyAll();
                    return;
                }
            }
            turn = -1;
            notifyAll();
        }
    }
}
