package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The net/url port on its own; every expected value is what Go 1.26's {@code net/url} gives. The builtins over it are
 * checked against the real opa by {@link UriBuiltinsProbeTest}, {@link UrlQueryBuiltinsProbeTest} and
 * {@link JsonSchemaBuiltinsProbeTest}.
 */
class GoUrlTest {

    @Test
    void resolvesTheReferencesOfRfc3986AsGoDoes() throws Exception {
        GoUrl.Url base = GoUrl.parse("http://a/b/c/d;p?q");
        Map<String, String> expected = Map.ofEntries(Map.entry("g:h", "g:h"), Map.entry("g", "http://a/b/c/g"),
                Map.entry("./g", "http://a/b/c/g"), Map.entry("g/", "http://a/b/c/g/"), Map.entry("/g", "http://a/g"),
                Map.entry("//g", "http://g"), Map.entry("?y", "http://a/b/c/d;p?y"), Map.entry("g?y", "http://a/b/c/g?y"),
                Map.entry("#s", "http://a/b/c/d;p?q#s"), Map.entry("g?y#s", "http://a/b/c/g?y#s"),
                Map.entry(";x", "http://a/b/c/;x"), Map.entry("", "http://a/b/c/d;p?q"), Map.entry(".", "http://a/b/c/"),
                Map.entry("..", "http://a/b/"), Map.entry("../g", "http://a/b/g"), Map.entry("../..", "http://a/"),
                Map.entry("../../../g", "http://a/g"), Map.entry("/../g", "http://a/g"), Map.entry("g.", "http://a/b/c/g."),
                Map.entry("..g", "http://a/b/c/..g"), Map.entry("./g/.", "http://a/b/c/g/"),
                Map.entry("g;x=1/../y", "http://a/b/c/y"), Map.entry("g%20h", "http://a/b/c/g%20h"),
                Map.entry("%2e%2e/g", "http://a/b/c/%2e%2e/g"), Map.entry("g#a%20b", "http://a/b/c/g#a%20b"),
                Map.entry("//u:p@h:1/x", "http://u:p@h:1/x"));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThat(base.resolveReference(GoUrl.parse(e.getKey())).toString()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void splitsHostPortAndKeepsTheRawPathOnlyWhereItIsNotTheDefaultEncoding() throws Exception {
        GoUrl.Url url = GoUrl.parse("http://u:p@[::1]:80/a%2Fb?q#f%20g");
        assertThat(List.of(url.scheme(), url.host(), url.hostname(), url.port(), url.path(), url.rawPath(),
                url.rawQuery(), url.fragment())).containsExactly("http", "[::1]:80", "::1", "80", "/a/b", "/a%2Fb", "q",
                "f g");
        assertThat(url.toString()).isEqualTo("http://u:p@[::1]:80/a%2Fb?q#f%20g");
        assertThat(url.withoutFragment().toString()).isEqualTo("http://u:p@[::1]:80/a%2Fb?q");

        GoUrl.Url zoned = GoUrl.parse("http://[fe80::1%25en0]:8080/p");
        assertThat(List.of(zoned.host(), zoned.hostname(), zoned.port())).containsExactly("[fe80::1%en0]:8080",
                "fe80::1%en0", "8080");
        assertThat(zoned.toString()).isEqualTo("http://[fe80::1%25en0]:8080/p");

        GoUrl.Url otherScheme = GoUrl.parse("x://a:1:2/");
        assertThat(List.of(otherScheme.hostname(), otherScheme.port())).containsExactly("a:1", "2");
        assertThat(GoUrl.parse("HTTP://H:80").toString()).isEqualTo("http://H:80");
        assertThat(GoUrl.parse("/a b").rawPath()).isEqualTo("/a b");
        assertThat(GoUrl.parse("/a b").toString()).isEqualTo("/a%20b");
        assertThat(GoUrl.parse("mailto:x@y").path()).isEmpty();
    }

    @Test
    void refusesWhatGoRefusesWithGoErrorText() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("http://[1.2.3.4]/", "parse \"http://[1.2.3.4]/\": invalid IP-literal"),
                Map.entry("http://x[y]/", "parse \"http://x[y]/\": invalid IP-literal"),
                Map.entry("http://a:1:2/", "parse \"http://a:1:2/\": invalid port \":1:2\" after host"),
                Map.entry("http://h/%zz", "parse \"http://h/%zz\": invalid URL escape \"%zz\""),
                Map.entry("http://[::1%25%0a]/", "parse \"http://[::1%25%0a]/\": invalid URL escape \"%0a\""),
                Map.entry("http://%41/", "parse \"http://%41/\": invalid URL escape \"%41\""),
                Map.entry("http://h\n/", "parse \"http://h\\n/\": net/url: invalid control character in URL"),
                Map.entry("http://[::1", "parse \"http://[::1\": missing ']' in host"),
                Map.entry("http://[::ffff:1.2.3.04]/", "parse \"http://[::ffff:1.2.3.04]/\": invalid host: "
                        + "ParseAddr(\"::ffff:1.2.3.04\"): IPv4 field has octet with leading zero"));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThatThrownBy(() -> GoUrl.parse(e.getKey())).as(e.getKey())
                    .isInstanceOf(HostBuiltin.Undefined.class).hasMessage(e.getValue());
        }
    }

    @Test
    void escapesAndParsesQueriesAsGoDoes() throws Exception {
        String bytes = GoTime.bytes("a b/é~*");
        assertThat(GoUrl.queryEscape(bytes)).isEqualTo("a+b%2F%C3%A9~%2A");
        assertThat(GoUrl.escape(GoTime.bytes("a b/é;"), GoUrl.Mode.PATH_SEGMENT)).isEqualTo("a%20b%2F%C3%A9%3B");
        assertThat(GoUrl.goString(GoUrl.queryUnescape("a+b%2F%C3%A9~%2A"))).isEqualTo("a b/é~*");
        assertThat(GoUrl.goString(GoUrl.queryUnescape("%e2%98"))).isEqualTo("\ufffd\ufffd");
        assertThat(GoUrl.utf8(GoUrl.queryUnescape("%C3%A9"))).isEqualTo("é");

        assertThat(GoUrl.parseQuery("a=1&a=2&b=%20+&c")).containsExactly(Map.entry("a", List.of("1", "2")),
                Map.entry("b", List.of("  ")), Map.entry("c", List.of("")));
        assertThatThrownBy(() -> GoUrl.parseQuery("a=1;b=2")).isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> GoUrl.parseQuery("a=%zz&b=1")).isInstanceOf(HostBuiltin.Undefined.class);
        assertThat(GoUrl.parseQuery("&".repeat(GoUrl.MAX_QUERY_PARAMS - 1))).isEmpty();
        assertThatThrownBy(() -> GoUrl.parseQuery("&".repeat(GoUrl.MAX_QUERY_PARAMS)))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }
}
