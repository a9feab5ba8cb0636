package dev.sdserve.textencoder;

import java.util.List;

/**
 * One prompt, tokenized the way the pipeline feeds the text encoder.
 *
 * @param ids        BOS, at most {@code maxLength - 2} ids, EOS, then pad ids: exactly {@code maxLength} entries
 * @param tokens     the token strings of the ids before padding (BOS and EOS included)
 * @param untruncated BOS, every id of the prompt, EOS: what the tokenizer gives without truncation
 * @param dropped    how many prompt ids the truncation cut (0 when the prompt fits)
 */
public record Tokenization(int[] ids, List<String> tokens, int[] untruncated, int dropped) {

    /** True when the prompt had more ids than fit and was cut. */
    public boolean truncated() {
        return dropped > 0;
    }
}
