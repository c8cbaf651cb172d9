package armor.tokenizer;

import java.util.List;

/** A tokenizer.json {@code normalizer}: rewrites text before pre-tokenization. */
sealed interface Normalizer {
    String normalize(String text);

    /** Unicode NFC (Qwen2/2.5/3). */
    record Nfc() implements Normalizer {
        @Override
        public String normalize(String text) {
            // Text made only of characters below U+0300 (no combining marks) is already in NFC: skip the work.
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) >= 0x300) return java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
            }
            return text;
        }
    }

    record Nfkc() implements Normalizer {
        @Override
        public String normalize(String text) {
            return java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKC);
        }
    }

    record Nfd() implements Normalizer {
        @Override
        public String normalize(String text) {
            return java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Prepends a string to non-empty text (sentencepiece's "▁" before the first word). */
    record Prepend(String prepend) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prepend + text;
        }
    }

    /** Replaces every occurrence of a literal string (tokenizer.json's {"String": ...} pattern). */
    record Replace(String pattern, String content) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.replace(pattern, content);
        }
    }

    /** Replaces every match of a regular expression (tokenizer.json's {"Regex": ...} pattern). */
    record ReplaceRegex(java.util.regex.Pattern pattern, String content) implements Normalizer {
        @Override
        public String normalize(String text) {
            return pattern.matcher(text).replaceAll(java.util.regex.Matcher.quoteReplacement(content));
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String normalize(String text) {
            for (Normalizer n : normalizers) text = n.normalize(text);
            return text;
        }
    }
}
