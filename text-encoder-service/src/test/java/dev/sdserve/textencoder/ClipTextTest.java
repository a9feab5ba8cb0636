package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SharedFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written normalizer and splitter against the regexes they replace, run by java.util.regex. */
class ClipTextTest {
    private static final Pattern WHITESPACE = Pattern.compile("\\p{IsWhite_Space}+");
    private static final Pattern WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\p{IsWhite_Space}\\p{L}\\p{N}]+");
    /** Letters, digits, marks, quotes, whitespace of several kinds, emoji, CJK, a lone surrogate. */
    private static final int[] ALPHABET = {'a', 'Z', 's', 't', 'r', 'e', 'l', 'd', 'm', '\'', '\'', '1', '!', '-', ' ', '\t',
            '\n', 0xA0, 0x2003, 0x3000, 0x85, 0x1C, 0x200B, 0xAD, 0x301, 0xE9, 0x130, 0x3A3, 0xFF21, 0xFF11, 0x2164, 0xBD,
            0x1F600, 0x1F468, 0x200D, 0x65E5, 0x0627, 0xD800, '<', '|', '>'};

    @Test
    void scannersMatchTheRegexesOnFixtureAndRandomTexts() {
        List<String> texts = new ArrayList<>();
        if (SharedFixtures.present()) {
            for (JsonNode c : SharedFixtures.json(SharedFixtures.fixtures().resolve("tokenizer/tokenizer_cases.json")).get("cases")) {
                texts.add(c.get("text").asText());
            }
        }
        Random random = new Random(7);
        for (int k = 0; k < 3000; k++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(24); n > 0; n--) b.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
            texts.add(b.toString());
        }
        for (String text : texts) {
            String normalized = ClipText.normalize(text);
            String expected = ClipText.lowercase(WHITESPACE.matcher(
                    java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC)).replaceAll(" "));
            assertEquals(expected, normalized, "normalize " + text.codePoints().boxed().toList());
            assertEquals(regexWords(normalized), scannerWords(normalized), "split " + text.codePoints().boxed().toList());
            assertEquals(regexWords(text), scannerWords(text), "split of raw " + text.codePoints().boxed().toList());
        }
    }

    @Test
    void lowercaseIsPerCodePointWithoutFinalSigma() {
        // Java's String.toLowerCase would end the word with "ς"; Rust's char::to_lowercase keeps "σ".
        assertEquals("οδοσ", ClipText.lowercase("ΟΔΟΣ"));
        assertEquals("i\u0307", ClipText.lowercase("\u0130"));
        assertEquals(" a b ", ClipText.normalize("\u3000A\u00a0\u2003\t B\r\n"));
    }

    private static List<String> regexWords(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = WORDS.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static List<String> scannerWords(String s) {
        List<String> out = new ArrayList<>();
        ClipText.forEachWord(s, out::add);
        return out;
    }
}
