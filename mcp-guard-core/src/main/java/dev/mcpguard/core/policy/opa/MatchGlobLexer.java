package dev.mcpguard.core.policy.opa;

import java.util.ArrayDeque;

/**
 * A port of the lexer of gobwas/glob v1.0.0 ({@code syntax/lexer.go}), the glob library OPA 1.22.2 links: it
 * splits a pattern into the tokens {@link MatchGlob} parses. It reads code points where Go reads runes; the
 * pattern is valid Unicode (lone surrogates are replaced before), so Go's "invalid UTF-8 sequence" cannot occur,
 * and U+FFFD and U+0000 are ordinary characters, as in v1.0.0. As in Go, once an error happened every later
 * {@link #next()} returns it, even before tokens already queued. Not thread-safe (one per compilation).
 */
final class MatchGlobLexer {

    enum Type { EOF, ERROR, TEXT, ANY, SUPER, SINGLE, NOT, TERM_SEPARATOR, RANGE_OPEN, RANGE_CLOSE, RANGE_LO,
        RANGE_HI, RANGE_BETWEEN, TERMS_OPEN, TERMS_CLOSE }

    /** A token: its type and its text (the characters with escapes resolved, for TEXT; the message, for ERROR). */
    record Token(Type type, String data) {
    }

    private static final int EOF = -1;
    private static final int[] IN_TEXT_BREAKERS = {'?', '*', '[', '{'};
    private static final int[] IN_TERMS_BREAKERS = {'?', '*', '[', '{', '}', ','};
    private static final int[] RANGE_BREAKERS = {']'};

    private final int[] data;
    private int pos;
    private String err;
    private final ArrayDeque<Token> tokens = new ArrayDeque<>();
    private int termsLevel;
    private int lastRune;
    private int lastRuneSize;
    private boolean hasRune;

    MatchGlobLexer(String source) {
        this.data = source.codePoints().toArray();
    }

    /** The next token; EOF once the input is over, the error once one happened, repeatedly. */
    Token next() {
        while (true) {
            if (err != null) {
                return new Token(Type.ERROR, err);
            }
            if (!tokens.isEmpty()) {
                return tokens.removeFirst();
            }
            fetchItem();
        }
    }

    private int peekWidth() {
        return pos == data.length ? 0 : 1;
    }

    private int peek() {
        return pos == data.length ? EOF : data[pos];
    }

    private int read() {
        if (hasRune) {
            hasRune = false;
            pos += lastRuneSize;
            return lastRune;
        }
        int r = peek();
        int w = peekWidth();
        pos += w;
        lastRune = r;
        lastRuneSize = w;
        return r;
    }

    private void unread() {
        if (hasRune) {
            err = "could not unread rune";
            return;
        }
        pos -= lastRuneSize;
        hasRune = true;
    }

    private void push(Type type, String text) {
        tokens.addLast(new Token(type, text));
    }

    private void fetchItem() {
        int r = read();
        if (r == EOF) {
            push(Type.EOF, "");
        } else if (r == '{') {
            termsLevel++;
            push(Type.TERMS_OPEN, "{");
        } else if (r == ',' && termsLevel > 0) {
            push(Type.TERM_SEPARATOR, ",");
        } else if (r == '}' && termsLevel > 0) {
            push(Type.TERMS_CLOSE, "}");
            termsLevel--;
        } else if (r == '[') {
            push(Type.RANGE_OPEN, "[");
            fetchRange();
        } else if (r == '?') {
            push(Type.SINGLE, "?");
        } else if (r == '*') {
            if (read() == '*') {
                push(Type.SUPER, "**");
            } else {
                unread();
                push(Type.ANY, "*");
            }
        } else {
            unread();
            fetchText(termsLevel > 0 ? IN_TERMS_BREAKERS : IN_TEXT_BREAKERS);
        }
    }

    private void fetchRange() {
        boolean wantHi = false;
        boolean wantClose = false;
        boolean seenNot = false;
        while (true) {
            int r = read();
            if (r == EOF) {
                err = "unexpected end of input";
                return;
            }
            if (wantClose) {
                if (r != ']') {
                    err = "expected close range character";
                } else {
                    push(Type.RANGE_CLOSE, "]");
                }
                return;
            }
            if (wantHi) {
                push(Type.RANGE_HI, Character.toString(r));
                wantClose = true;
                continue;
            }
            if (!seenNot && r == '!') {
                push(Type.NOT, "!");
                seenNot = true;
                continue;
            }
            if (peek() == '-') {
                pos += peekWidth();
                push(Type.RANGE_LO, Character.toString(r));
                push(Type.RANGE_BETWEEN, "-");
                wantHi = true;
                continue;
            }
            unread();
            fetchText(RANGE_BREAKERS);
            wantClose = true;
        }
    }

    private void fetchText(int[] breakers) {
        StringBuilder text = new StringBuilder();
        boolean escaped = false;
        while (true) {
            int r = read();
            if (r == EOF) {
                if (escaped) {
                    err = "trailing backslash";
                }
                break;
            }
            if (!escaped) {
                if (r == '\\') {
                    escaped = true;
                    continue;
                }
                if (contains(breakers, r)) {
                    unread();
                    break;
                }
            }
            escaped = false;
            text.appendCodePoint(r);
        }
        if (text.length() > 0) {
            push(Type.TEXT, text.toString());
        }
    }

    private static boolean contains(int[] runes, int r) {
        for (int x : runes) {
            if (x == r) {
                return true;
            }
        }
        return false;
    }
}
