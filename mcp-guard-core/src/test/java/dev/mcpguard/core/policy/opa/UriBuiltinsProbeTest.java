package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code uri.parse} and {@code uri.is_valid} decide as the real {@code opa} does (Go 1.26's {@code url.Parse}). */
class UriBuiltinsProbeTest {

    private static final List<String> FIXED = List.of("", "*", "/", "//", "///", "////", "http://", "http:", "http:/",
            "http:///x", "http://h", "http://h/", "http://h:80/", "HTTP://H/", "hTtP://ExAmPlE.CoM:8080/A/b?C=d#E",
            "https://user:pass@example.com:8443/p/a/t/h?query=1&x=y#frag", "http://u@h@x/", "http://@h/",
            "http://:@h/", "http://u:p:q@h/", "http://ü@h/", "http://u%41@h/", "http://u%zz@h/", "http://u p@h/",
            "http://u/p@h/", "http://[::1]/", "http://[::1]:80/", "http://[::1]:/", "http://[::1]", "http://[::1]x/",
            "http://[::1]]/", "http://[[::1]/", "http://foo[::1]:80/", "http://x[y]/", "http://a]b/", "http://a[b/",
            "http://[1.2.3.4]/", "http://[::ffff:1.2.3.4]/", "http://[::ffff:1.2.3.04]/", "http://[::ffff:1.2.3]/",
            "http://[::ffff:1.2.3.4.5]/", "http://[::ffff:256.2.3.4]/", "http://[1:2:3:4:5:6:1.2.3.4]/",
            "http://[1:2:3:4:5:6:7:1.2.3.4]/", "http://[1:2:3:4:5:1.2.3.4]/", "http://[::1.2.3.4]/",
            "http://[1:2:3:4:5:6:7:8]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[1:2:3:4:5:6:7::]/",
            "http://[1:2:3:4:5:6:7:8::]/", "http://[::1:2:3:4:5:6:7:8]/", "http://[1::2::3]/", "http://[:1]/",
            "http://[1:]/", "http://[::]/", "http://[:::]/", "http://[12345::]/", "http://[abcd::ef01]/",
            "http://[ABCD::EF01]/", "http://[g::1]/", "http://[fe80::1%25en0]/", "http://[fe80::1%25en0]:8080/",
            "http://[fe80::1%en0]/", "http://[fe80::1%25]/", "http://[fe80::1%2525]/", "http://[::1%25%41]/",
            "http://[::1%25%20]/", "http://[::1%25%0a]/", "http://[::1%25%2F]/", "http://[::1%25é]/",
            "http://[v1.fe]/", "http://[]/", "http://[/", "http://]/", "http://[::1%41]/", "http://[%3A%3A1]/",
            "http://a:1:2/", "http://a:1/", "http://a:/", "http://::1/", "http://a:b/", "http://a:-1/",
            "http://a:99999999999999999999/", "http://a:+1/", "http://:80/", "http://:/", "http://%41/",
            "http://%C3%A9/", "http://%c3%a9.example/", "http://%e2%98/", "http://%25/", "http://a%25b/",
            "http://a%2/", "http://é.example/", "http://a b/", "http://a<b>/", "http://a\"b/", "http://a{b/",
            "http://a|b/", "http://a^b/", "http://a`b/", "http://a!$&'()*+,;=b/", "http://a~b_c-d.e/",
            "http://h/%2fa%20b?q=1#f%20g", "http://h/a%2Fb", "http://h/a%2fb", "http://h/%41", "http://h/%",
            "http://h/%zz", "http://h/%2", "http://h/a+b", "http://h/a b", "http://h/é", "http://h/%C3%A9",
            "http://h/%ff", "http://h/%e2%98", "http://h/;a,b=c", "http://h/[x]", "http://h/a?", "http://h/a??",
            "http://h/?", "http://h/?a?b", "http://h/?%zz", "http://h/?a=1#", "http://h/#", "http://h/##",
            "http://h/#%zz", "http://h/#%41", "http://h/#a b", "http://h/#é", "http://h/#%ff", "http://h/#\u0001",
            "http://h/\u0001", "http://h/\u007f", "http://h/\t", "http://h\n/", "\u0000", "http://h/?\u0001",
            "mailto:x@y", "mailto:%zz", "mailto:", "urn:isbn:0451450523", "foo:bar:baz", "a:b", "a1+.-:x",
            "1a:x", "+a:x", ":x", "://x", "a", "a/b", "a:b/c", "./a:b", "a/b:c", "%zz", "/a:b", "//h/p",
            "///h/p", "//u@h:1/p?q#f", "?q", "#f", "?", "#", "//", "//[::1]", "//h:x", "file:///etc/passwd",
            "file://localhost/etc", "file:/etc", "javascript:alert(1)", "data:text/plain;base64,SGk=",
            "http://h/a/../b/./c", "http://h//a", "http://h/%2e%2e/x", "ws://h:1/s", "git+ssh://git@h:1/r.git",
            "HTTP+X://h/", "http://h/\u2028", "http://h/😀", "http://😀/", "http://h/?😀#😀", "http://[::1]:80x/",
            "http://h/%00", "http://h/a%00b", "http://h?x", "http://h#x", "http://h:1?x", "x://[::1]:99999",
            "http://user@[::1]:80/", "http://[::1]@h/", "http://u@[::1/", "http://h:1:/", "ftp://a:1:2/",
            "x://::1/", "ws://a]b:x:/", "//a:1:2/", "HTTPS://a:1:2/", "Http://::1/", "file://a:b/", "x+y://a:1:/",
            "httpx://a:1:2/", "//a]b:x:/", "x://[a:1::2]:1:2/", "x://a:1]:2/", "x://u:p@a:1:2/");

    @Test
    void uriBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2037L);
        List<String> uris = new ArrayList<>(FIXED);
        for (int i = 0; i < 300; i++) {
            uris.add(randomUri(random));
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("uri.parse", 1).builtin("uri.is_valid", 1);
        for (String uri : uris) {
            probes.call("uri.parse", uri).call("uri.is_valid", uri);
        }
        for (Object bad : List.of(1, true, List.of("http://h/"), Map.of("u", "http://h/"), BuiltinProbes.set("x"))) {
            probes.call("uri.parse", bad).call("uri.is_valid", bad);
        }
        probes.call("uri.parse", (Object) null).call("uri.is_valid", (Object) null);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(2).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(500));
    }

    private static String randomUri(Random random) {
        StringBuilder s = new StringBuilder();
        if (random.nextInt(5) > 0) {
            s.append(pick(random, "http", "https", "HTTP", "x+y", "a1", "1a", "", "s.c-h")).append(':');
        }
        if (random.nextInt(5) > 0) {
            s.append("//");
            if (random.nextInt(4) == 0) {
                s.append(pick(random, "u", "u:p", "u%40x", "", "ü", "u@v", "u p", ":")).append('@');
            }
            s.append(switch (random.nextInt(6)) {
                case 0 -> pick(random, "h", "example.com", "a.b-c_d~e", "%C3%A9", "%41", "é", "a%25b", "");
                case 1 -> "[" + pick(random, "::1", "fe80::1%25en0", "::ffff:1.2.3.4", "1.2.3.4", "1::2::3",
                        "abcd:ef01::", "::", "g::", "1:2:3:4:5:6:7:8", "%3A%3A1", "::1%25%41", "") + "]";
                case 2 -> pick(random, "[::1", "::1]", "a[b]", "a]b", "[]");
                default -> randomText(random, "ab.-_~%41[]:@!$&'()*+,;= ", 8);
            });
            if (random.nextInt(3) == 0) {
                s.append(':').append(pick(random, "80", "", "8080", "x", "-1", "1:2", "99999999999"));
            }
        }
        if (random.nextInt(4) > 0) {
            s.append(randomText(random, "/aé%2F%zz%41 +;=:@[]?é😀.", 14));
        }
        if (random.nextInt(3) == 0) {
            s.append('?').append(randomText(random, "a=1&b%zz?/#é ", 8));
        }
        if (random.nextInt(3) == 0) {
            s.append('#').append(randomText(random, "f%20%zz é#?/!*()\u0001", 8));
        }
        if (random.nextInt(12) == 0) {
            s.insert(random.nextInt(s.length() + 1), pick(random, "\u0001", "\u007f", "\t", " ", "#", "?", "%"));
        }
        return s.toString();
    }

    private static String randomText(Random random, String alphabet, int maxLength) {
        int[] codePoints = alphabet.codePoints().toArray();
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = random.nextInt(maxLength + 1); k < n; k++) {
            s.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
        }
        return s.toString();
    }

    private static String pick(Random random, String... options) {
        return options[random.nextInt(options.length)];
    }
}
