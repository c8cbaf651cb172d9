package armor.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The Hugging Face tokenizer pipeline: added tokens split out of the raw text, then per text piece normalizer,
 * pre-tokenizer and BPE model; the post-processor adds BOS/EOS. Decoding runs the tokenizer.json decoder.
 * Thread-safe: encoding state is local, and the word cache is concurrent.
 */
final class HfTokenizer implements Tokenizer {
    /** Added tokens matched in the raw text ({@code normalized: false}, all special tokens in practice). */
    private final AddedVocabulary rawAddedTokens;
    /** Added tokens matched in the normalized text ({@code normalized: true}). */
    private final AddedVocabulary normalizedAddedTokens;
    private final Normalizer normalizer;       // null when tokenizer.json has none
    private final PreTokenizer preTokenizer;   // null when tokenizer.json has none
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;             // null: tokens are joined with spaces, as Hugging Face does
    private final String[] idToToken;
    private final boolean[] special;
    private final Map<String, Integer> addedTokenIds;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final ChatTemplate chatTemplate;   // null when the model has none

    HfTokenizer(List<AddedToken> addedTokens, Normalizer normalizer, PreTokenizer preTokenizer, BpeModel model,
                PostProcessor postProcessor, Decoder decoder, OptionalInt bos, OptionalInt eos,
                ChatTemplate chatTemplate) {
        this.rawAddedTokens = new AddedVocabulary(addedTokens.stream().filter(t -> !t.normalized()).toList());
        this.normalizedAddedTokens = new AddedVocabulary(addedTokens.stream().filter(AddedToken::normalized).toList());
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        int size = model.size();
        for (AddedToken t : addedTokens) size = Math.max(size, t.id() + 1);
        this.idToToken = new String[size];
        this.special = new boolean[size];
        for (int id = 0; id < model.size(); id++) idToToken[id] = model.idToToken(id);
        this.addedTokenIds = new java.util.HashMap<>();
        for (AddedToken t : addedTokens) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            addedTokenIds.put(t.content(), t.id());
        }
        this.bos = bos;
        this.eos = eos;
        this.chatTemplate = chatTemplate;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        checkValidUnicode(text);
        IdBuffer ids = new IdBuffer();
        List<String> words = new ArrayList<>();
        boolean first = true;
        for (AddedVocabulary.Segment raw : rawAddedTokens.split(text)) {
            if (raw.isToken()) {
                ids.add(raw.tokenId());
                first = false;
                continue;
            }
            String normalized = normalizer == null ? raw.text() : normalizer.normalize(raw.text());
            for (AddedVocabulary.Segment segment : normalizedAddedTokens.split(normalized)) {
                if (segment.isToken()) {
                    ids.add(segment.tokenId());
                } else {
                    words.clear();
                    if (preTokenizer == null) words.add(segment.text());
                    else preTokenizer.split(segment.text(), first, words);
                    for (String word : words) model.encodeWord(word, ids);
                }
                first = false;
            }
        }
        return addSpecialTokens ? postProcessor.apply(ids) : ids.toArray();
    }

    private static void checkValidUnicode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            throw new IllegalArgumentException(String.format(
                    "text is not valid Unicode: unpaired surrogate U+%04X at char index %d", (int) c, i));
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = idToToken(id);
            if (skipSpecialTokens && special[id]) continue;
            tokens.add(token);
        }
        if (decoder == null) return String.join(" ", tokens);
        return decoder.decode(tokens);
    }

    @Override
    public StreamDecoder streamDecoder(boolean skipSpecialTokens, int[] context) {
        return new IncrementalDecoder(this, skipSpecialTokens, context);
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bos;
    }

    @Override
    public OptionalInt eosTokenId() {
        return eos;
    }

    @Override
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public String idToToken(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is out of range: the vocabulary has ids 0.."
                    + (idToToken.length - 1) + (id >= 0 && id < idToToken.length ? " but no token " + id : ""));
        }
        return idToToken[id];
    }

    @Override
    public OptionalInt tokenToId(String token) {
        Integer id = addedTokenIds.get(token);
        if (id == null) id = model.tokenToId(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }
}
