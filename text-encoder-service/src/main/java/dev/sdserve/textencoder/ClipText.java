package dev.sdserve.textencoder;

import java.text.Normalizer;
import java.util.function.Consumer;

/**
 * CLIP's normalizer and pre-tokenizer as hand-written scanners. They do exactly what
 * {@code Replace(\s+, " ")} + {@code Lowercase} and the split regex
 * {@code 's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+} do (leftmost match, alternatives in
 * order, greedy runs), about ten times faster than {@code java.util.regex} with Unicode classes.
 * {@code \s} is Unicode White_Space, as in the Rust tokenizers' regex engine.
 */
final class ClipText {
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

    private ClipText() {
    }

    /** NFC, then every run of whitespace to one space, then lower case. */
    static String normalize(String text) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder b = new StringBuilder(nfc.length());
        boolean inSpace = false;
        for (int i = 0; i < nfc.length(); ) {
            int cp = nfc.codePointAt(i);
            i += Character.charCount(cp);
            boolean space = isWhiteSpace(cp);
            if (space && !inSpace) b.append(' ');
            if (!space) appendLowercase(b, cp); // lower-casing never yields whitespace, so fusing the passes is exact
            inSpace = space;
        }
        return b.toString();
    }

    /** Lower-cases per code point with the unconditional mapping (Rust's char::to_lowercase: no final sigma). */
    static String lowercase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            appendLowercase(b, cp);
        }
        return b.toString();
    }

    private static void appendLowercase(StringBuilder b, int cp) {
        if (cp < 0x80) {
            b.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
        } else if (cp == 0x130) {
            b.append("i\u0307"); // the one unconditional multi-char lowercase mapping (SpecialCasing.txt)
        } else {
            b.appendCodePoint(Character.toLowerCase(cp));
        }
    }

    /** Sends each match of the CLIP split regex in {@code text}, left to right, to {@code word}. */
    static void forEachWord(String text, Consumer<String> word) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            int end = contractionEnd(text, i);
            if (end < 0) {
                if (Character.isLetter(cp)) {
                    end = runEnd(text, i, Kind.LETTER);
                } else if (isNumber(cp)) {
                    end = i + Character.charCount(cp);
                } else if (!isWhiteSpace(cp)) {
                    end = runEnd(text, i, Kind.OTHER);
                }
            }
            if (end < 0) {
                i += Character.charCount(cp); // whitespace: no match starts here
            } else {
                word.accept(text.substring(i, end));
                i = end;
            }
        }
    }

    private enum Kind { LETTER, OTHER }

    private static int contractionEnd(String text, int i) {
        if (text.charAt(i) != '\'') return -1;
        for (String c : CONTRACTIONS) {
            if (text.startsWith(c, i)) return i + c.length();
        }
        return -1;
    }

    private static int runEnd(String text, int i, Kind kind) {
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            boolean in = kind == Kind.LETTER ? Character.isLetter(cp)
                    : !Character.isLetter(cp) && !isNumber(cp) && !isWhiteSpace(cp);
            if (!in) break;
            i += Character.charCount(cp);
        }
        return i;
    }

    /** General category N (Nd, Nl, No), which is what \p{N} matches. */
    static boolean isNumber(int cp) {
        if (cp < 0x80) return cp >= '0' && cp <= '9';
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /**
     * The Unicode White_Space property. Java's {@code Character.isWhitespace} differs: it excludes no-break
     * spaces and includes the information separators U+001C..U+001F.
     */
    static boolean isWhiteSpace(int cp) {
        if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
                || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }
}
