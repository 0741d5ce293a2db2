package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * OPA's {@code io.jwt.decode}, {@code io.jwt.decode_verify} and {@code io.jwt.verify_*} (topdown/tokens.go with
 * lestrrat-go/jwx v3), ported step for step so that every error OPA raises is undefined here (OPA's wasm rule)
 * and every {@code false} or {@code [false, {}, {}]} is the same:
 *
 * <ul>
 *   <li>a token is a string with exactly three {@code .}-separated parts, each base64url as OPA's
 *       {@code base64url.decode} reads it; the header is a JSON object without {@code enc}, whose {@code alg},
 *       {@code kid}, {@code typ}, {@code cty} are strings and {@code crit} a non-empty list; header and payload
 *       are parsed as Go's {@code encoding/json} does ({@link GoJson}: the last duplicate key wins, numbers keep
 *       their text);</li>
 *   <li>the key operand is a PEM certificate or public key, a JWK or a JWK set ({@link JwtKeys}); a header
 *       {@code kid} matching a key selects that key alone, otherwise every key is tried whose {@code alg} is
 *       unset or equals the header's;</li>
 *   <li>{@code verify_rs*}, {@code verify_ps*} (any salt length), {@code verify_es*} (the signature split in two
 *       halves of any length), {@code verify_eddsa} take public keys only and ignore the header's {@code alg};
 *       {@code verify_hs*} do not read the header at all;</li>
 *   <li>{@code decode_verify} takes {@code cert} or {@code secret} (exactly one), {@code alg}, {@code iss},
 *       {@code aud} (strings) and {@code time} (nanoseconds, a non-negative number; else the engine's clock, the
 *       one behind {@code time.now_ns}); any other constraint is an error. It verifies with the header's algorithm
 *       as jwx does ({@link JwtSignatures#jws}), follows {@code cty: JWT} nesting, and compares {@code exp} and
 *       {@code nbf} (seconds) with {@code time / 1e9} as a float64 formatted and compared as OPA does.</li>
 * </ul>
 *
 * <p>Where OPA's Go code panics (an {@code io.jwt.decode} header {@code cty} or a verified {@code iss} claim that
 * is not a string; a constraint key that is not a string) the builtin is undefined. A P-224 key or an RSA modulus
 * over 16,384 bits, which the JDK cannot verify, is undefined when it would be used, never a guess (see
 * docs/policy-embedded-builtins.md); so is a header or payload nested deeper than {@link #MAX_DEPTH}, and an Ed25519
 * key in one of the two non-canonical encodings Go accepts. Thread-safe (stateless; the clock is read once per evaluation).
 */
final class JwtBuiltins {

    private static final ArrayNode UNVERIFIED = unverified();

    /**
     * Deepest header or payload JSON the builtins return (OPA: 10,000): the module's own value functions recurse,
     * and a value nested some hundreds of levels exhausts the wasm call stack. Deeper is undefined (documented).
     */
    static final int MAX_DEPTH = 128;

    private JwtBuiltins() {
    }

    /** The family, with {@code nowNs} the evaluation's clock (what {@code time.now_ns} returns). */
    static List<OpaBuiltin.Builtin> all(LongSupplier nowNs) {
        List<OpaBuiltin.Builtin> all = new ArrayList<>();
        all.add(HostBuiltin.of1("io.jwt.decode", token -> decode(bytes(HostBuiltin.text(token)))));
        all.add(HostBuiltin.of2("io.jwt.decode_verify", (token, constraints) ->
                decodeVerify(token, constraints, nowNs.getAsLong())));
        for (JwtSignatures.Hash hash : JwtSignatures.Hash.values()) {
            String bits = hash.name().substring(3);
            all.add(verifier("io.jwt.verify_rs" + bits, hash, (key, digestInput, signature) ->
                    key instanceof JwtKeys.RsaKey rsa && !rsa.isPrivate()
                            && JwtSignatures.rsaPkcs1(rsa, hash, digestInput, signature)));
            all.add(verifier("io.jwt.verify_ps" + bits, hash, (key, digestInput, signature) ->
                    key instanceof JwtKeys.RsaKey rsa && !rsa.isPrivate()
                            && JwtSignatures.rsaPss(rsa, hash, digestInput, signature, false)));
            all.add(verifier("io.jwt.verify_es" + bits, hash, (key, digestInput, signature) -> {
                if (!(key instanceof JwtKeys.EcKey ec) || ec.isPrivate()) {
                    return false;
                }
                int n = signature.length / 2;
                return JwtSignatures.ecdsa(ec, hash, digestInput, new BigInteger(1, Arrays.copyOf(signature, n)),
                        new BigInteger(1, Arrays.copyOfRange(signature, n, signature.length)));
            }));
            all.add(HostBuiltin.of2("io.jwt.verify_hs" + bits, (token, secret) -> {
                Token t = Token.split(bytes(HostBuiltin.text(token)));
                byte[] key = bytes(HostBuiltin.text(secret));
                byte[] signature = GoBase64.opaUrlDecode(t.signature);
                return BooleanNode.valueOf(JwtSignatures.hmac(key, hash, t.signingInput(), signature));
            }));
        }
        all.add(verifier("io.jwt.verify_eddsa", null, (key, message, signature) ->
                key instanceof JwtKeys.EdKey ed && !ed.isPrivate() && JwtSignatures.ed25519(ed, message, signature)));
        return List.copyOf(all);
    }

    @FunctionalInterface
    private interface KeyCheck {
        boolean verify(JwtKeys.Key key, byte[] signingInput, byte[] signature) throws HostBuiltin.Undefined;
    }

    /** OPA's {@code builtinJWTVerify}: the token, the keys, the signature, the header; then the key selection. */
    private static OpaBuiltin.Builtin verifier(String name, JwtSignatures.Hash hash, KeyCheck check) {
        return HostBuiltin.of2(name, (token, keyOperand) -> {
            Token t = Token.split(bytes(HostBuiltin.text(token)));
            List<JwtKeys.VerificationKey> keys = JwtKeys.parse(HostBuiltin.text(keyOperand));
            byte[] signature = GoBase64.opaUrlDecode(t.signature);
            Header header = Header.of(t.decodeHeader());
            byte[] input = t.signingInput();
            if (!header.kid.isEmpty()) {
                for (JwtKeys.VerificationKey key : keys) {
                    if (key.kid().equals(header.kid)) {
                        return BooleanNode.valueOf(check.verify(key.key(), input, signature));
                    }
                }
            }
            for (JwtKeys.VerificationKey key : keys) {
                if ((key.alg().isEmpty() || key.alg().equals(header.alg))
                        && check.verify(key.key(), input, signature)) {
                    return BooleanNode.TRUE;
                }
            }
            return BooleanNode.FALSE;
        });
    }

    /** {@code io.jwt.decode}: [header, payload, signature as lower-case hex]; a {@code cty: JWT} payload is decoded instead. */
    private static JsonNode decode(byte[] token) throws HostBuiltin.Undefined {
        Token t = Token.split(token);
        GoJson.Obj header = t.decodeHeader();
        byte[] payload = GoBase64.opaUrlDecode(t.payload);
        GoJson.Value cty = header.get("cty");
        if (cty != null) {
            if (!(cty instanceof GoJson.Str ctyString)) {
                throw new HostBuiltin.Undefined("OPA panics on a cty that is not a string");
            }
            if (ctyString.value().equals("JWT")) {
                return decode(trimQuotes(payload));
            }
        }
        GoJson.Obj claims = jsonObject(payload);
        byte[] signature = GoBase64.opaUrlDecode(t.signature);
        ArrayNode out = RegoValues.NODES.arrayNode();
        out.add(GoJson.toNode(header));
        out.add(GoJson.toNode(claims));
        out.add(TextNode.valueOf(HexFormat.of().formatHex(signature)));
        return out;
    }

    /** {@code strings.Trim(s, "\"'")}. */
    private static byte[] trimQuotes(byte[] s) {
        int start = 0;
        int end = s.length;
        while (start < end && (s[start] == '"' || s[start] == '\'')) {
            start++;
        }
        while (end > start && (s[end - 1] == '"' || s[end - 1] == '\'')) {
            end--;
        }
        return Arrays.copyOfRange(s, start, end);
    }

    /** The parsed constraints object of {@code decode_verify}. */
    private static final class Constraints {
        List<JwtKeys.VerificationKey> keys;
        String secret = "";
        String alg = "";
        String iss = "";
        String aud = "";
        Double time;

        static Constraints of(JsonNode object, long nowNs) throws HostBuiltin.Undefined {
            if (!object.isObject()) {
                throw new HostBuiltin.Undefined("operand 2 must be object");
            }
            Constraints c = new Constraints();
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode v = field.getValue();
                switch (field.getKey()) {
                    case "cert" -> c.keys = JwtKeys.parse(string("cert", v));
                    case "secret" -> c.secret = string("secret", v);
                    case "alg" -> c.alg = string("alg", v);
                    case "iss" -> c.iss = string("iss", v);
                    case "aud" -> c.aud = string("aud", v);
                    case "time" -> c.time = time(v);
                    default -> throw new HostBuiltin.Undefined("unknown token validation constraint");
                }
            }
            if (c.time == null) {
                c.time = (double) nowNs;
            }
            int keyConstraints = (c.keys != null ? 1 : 0) + (c.secret.isEmpty() ? 0 : 1);
            if (keyConstraints != 1) {
                throw new HostBuiltin.Undefined(keyConstraints > 1 ? "duplicate key constraints" : "no key constraint");
            }
            return c;
        }

        private static String string(String name, JsonNode v) throws HostBuiltin.Undefined {
            if (!v.isTextual()) {
                throw new HostBuiltin.Undefined(name + " constraint: must be a string");
            }
            return v.textValue();
        }

        /** {@code timeFromValue}: a number whose float64 is finite and not negative. */
        private static double time(JsonNode v) throws HostBuiltin.Undefined {
            if (!v.isNumber()) {
                throw new HostBuiltin.Undefined("token time constraint: must be a number");
            }
            String text = v.isIntegralNumber() ? v.bigIntegerValue().toString() : v.decimalValue().toString();
            double t = Double.parseDouble(text);
            if (Double.isInfinite(t)) {
                throw new HostBuiltin.Undefined("token time constraint: unvalid float64");
            }
            if (t < 0) {
                throw new HostBuiltin.Undefined("token time constraint: must not be negative");
            }
            return t;
        }

        /** {@code tokenConstraints.verify}: the trusted keys (by {@code kid} first), else the secret. */
        boolean verify(Header header, Token token, byte[] signature) throws HostBuiltin.Undefined {
            byte[] plaintext = token.signingInput();
            if (keys != null) {
                if (!header.kid.isEmpty()) {
                    for (JwtKeys.VerificationKey key : keys) {
                        if (key.kid().equals(header.kid)) {
                            return JwtSignatures.jws(key.key(), header.alg, plaintext, signature);
                        }
                    }
                }
                for (JwtKeys.VerificationKey key : keys) {
                    if ((key.alg().isEmpty() || key.alg().equals(header.alg))
                            && JwtSignatures.jws(key.key(), header.alg, plaintext, signature)) {
                        return true;
                    }
                }
                return false;
            }
            return JwtSignatures.jws(new JwtKeys.SecretKey(bytes(secret)), header.alg, plaintext, signature);
        }

        boolean validAudience(GoJson.Value claim) {
            if (claim instanceof GoJson.Str s) {
                return s.value().equals(aud);
            }
            if (claim instanceof GoJson.Arr array) {
                for (GoJson.Value element : array.elements()) {
                    if (element instanceof GoJson.Str s && s.value().equals(aud)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** {@code builtinJWTDecodeVerify}. */
    private static JsonNode decodeVerify(JsonNode tokenOperand, JsonNode constraintsOperand, long nowNs)
            throws HostBuiltin.Undefined {
        Constraints constraints = Constraints.of(constraintsOperand, nowNs);
        byte[] current = bytes(HostBuiltin.text(tokenOperand));
        GoJson.Obj header;
        byte[] payload;
        while (true) {
            Token t = Token.split(current);
            header = t.decodeHeader();
            Header parsed = Header.of(header);
            if (!parsed.valid()) {
                return UNVERIFIED.deepCopy();
            }
            if (!constraints.alg.isEmpty() && !constraints.alg.equals(parsed.alg)) {
                return UNVERIFIED.deepCopy();
            }
            byte[] signature = GoBase64.opaUrlDecode(t.signature);
            if (!constraints.verify(parsed, t, signature)) {
                return UNVERIFIED.deepCopy();
            }
            payload = GoBase64.opaUrlDecode(t.payload);
            if (parsed.cty.equalsIgnoreCase("JWT")) {
                current = payload;
                continue;
            }
            break;
        }
        GoJson.Obj claims = jsonObject(payload);
        if (!constraints.iss.isEmpty()) {
            GoJson.Value iss = claims.get("iss");
            if (iss == null) {
                return UNVERIFIED.deepCopy();
            }
            if (!(iss instanceof GoJson.Str issString)) {
                throw new HostBuiltin.Undefined("OPA panics on an iss claim that is not a string");
            }
            if (!constraints.iss.equals(issString.value())) {
                return UNVERIFIED.deepCopy();
            }
        }
        GoJson.Value aud = claims.get("aud");
        if (aud != null ? !constraints.validAudience(aud) : !constraints.aud.isEmpty()) {
            return UNVERIFIED.deepCopy();
        }
        String now = GoFormat.formatFloat(constraints.time / 1_000_000_000d, 'g', -1);
        GoJson.Value exp = claims.get("exp");
        if (exp != null) {
            if (!(exp instanceof GoJson.Num expNumber)) {
                throw new HostBuiltin.Undefined("exp value must be a number");
            }
            if (numberCompare(now, expNumber.text()) != -1) {
                return UNVERIFIED.deepCopy();
            }
        }
        GoJson.Value nbf = claims.get("nbf");
        if (nbf != null) {
            if (!(nbf instanceof GoJson.Num nbfNumber)) {
                throw new HostBuiltin.Undefined("nbf value must be a number");
            }
            if (numberCompare(now, nbfNumber.text()) == -1) {
                return UNVERIFIED.deepCopy();
            }
        }
        ArrayNode verified = RegoValues.NODES.arrayNode();
        verified.add(BooleanNode.TRUE);
        verified.add(GoJson.toNode(header));
        verified.add(GoJson.toNode(claims));
        return verified;
    }

    private static ArrayNode unverified() {
        ArrayNode out = RegoValues.NODES.arrayNode();
        out.add(BooleanNode.FALSE);
        out.addObject();
        out.addObject();
        return out;
    }

    /** {@code extractJSONObject}. */
    private static GoJson.Obj jsonObject(byte[] json) throws HostBuiltin.Undefined {
        if (!(GoJson.parse(json, MAX_DEPTH) instanceof GoJson.Obj obj)) {
            throw new HostBuiltin.Undefined("decoded JSON type was not an Object");
        }
        return obj;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A compact JWS split into its three encoded parts ({@code decodeJWT}). */
    private record Token(byte[] header, byte[] payload, byte[] signature) {

        static Token split(byte[] s) throws HostBuiltin.Undefined {
            List<byte[]> parts = new ArrayList<>(3);
            int start = 0;
            for (int i = 0; i <= s.length; i++) {
                if (i == s.length || s[i] == '.') {
                    parts.add(Arrays.copyOfRange(s, start, i));
                    start = i + 1;
                }
            }
            if (parts.size() == 1) {
                throw new HostBuiltin.Undefined("encoded JWT had no period separators");
            }
            if (parts.size() != 3) {
                throw new HostBuiltin.Undefined("encoded JWT must have 3 sections");
            }
            return new Token(parts.get(0), parts.get(1), parts.get(2));
        }

        /** {@code header + "." + payload}, as encoded. */
        byte[] signingInput() {
            byte[] out = Arrays.copyOf(header, header.length + 1 + payload.length);
            out[header.length] = '.';
            System.arraycopy(payload, 0, out, header.length + 1, payload.length);
            return out;
        }

        /** {@code decodeHeader} and {@code validateJWTHeader}: base64url, a JSON object, not a JWE. */
        GoJson.Obj decodeHeader() throws HostBuiltin.Undefined {
            GoJson.Obj header;
            try {
                header = jsonObject(GoBase64.opaUrlDecode(this.header));
            } catch (HostBuiltin.Undefined e) {
                throw new HostBuiltin.Undefined("bad JWT header");
            }
            if (header.has("enc")) {
                throw new HostBuiltin.Undefined("JWT is a JWE object, which is not supported");
            }
            return header;
        }
    }

    /** {@code parseTokenHeader}: the JOSE parameters OPA reads. */
    private static final class Header {
        String alg = "";
        String kid = "";
        String cty = "";
        List<String> crit = List.of();
        final List<String> unknown = new ArrayList<>();

        static Header of(GoJson.Obj object) throws HostBuiltin.Undefined {
            Map<String, GoJson.Value> members = new LinkedHashMap<>();
            for (int i = 0; i < object.keys().size(); i++) {
                members.put(object.keys().get(i), object.values().get(i));
            }
            Header h = new Header();
            for (Map.Entry<String, GoJson.Value> member : members.entrySet()) {
                GoJson.Value v = member.getValue();
                switch (member.getKey()) {
                    case "alg" -> h.alg = string("alg", v);
                    case "kid" -> h.kid = string("kid", v);
                    case "typ" -> string("typ", v);
                    case "cty" -> h.cty = string("cty", v);
                    case "crit" -> {
                        if (!(v instanceof GoJson.Arr array)) {
                            throw new HostBuiltin.Undefined("crit: must be a list");
                        }
                        // OPA stops at the first element that is not a string (and ignores that error).
                        List<String> crit = new ArrayList<>();
                        for (GoJson.Value element : array.elements()) {
                            if (!(element instanceof GoJson.Str s)) {
                                break;
                            }
                            crit.add(s.value());
                        }
                        if (crit.isEmpty()) {
                            throw new HostBuiltin.Undefined("crit: must be a nonempty list");
                        }
                        h.crit = crit;
                    }
                    default -> h.unknown.add(member.getKey());
                }
            }
            return h;
        }

        private static String string(String name, GoJson.Value v) throws HostBuiltin.Undefined {
            if (!(v instanceof GoJson.Str s)) {
                throw new HostBuiltin.Undefined(name + ": must be a string");
            }
            return s.value();
        }

        /** RFC 7515: {@code alg} present, and no critical parameter that OPA does not know. */
        boolean valid() {
            if (alg.isEmpty()) {
                return false;
            }
            for (String u : unknown) {
                if (crit.contains(u)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * OPA's {@code NumberCompare} on two JSON number texts: exact, except that two numbers whose texts both end in
     * a fraction with trailing zeroes compare equal when their float64s are equal and one of them has more than 15
     * significant digits (OPA's float shortcut); a number Go's {@code big.Float} underflows is zero.
     */
    static int numberCompare(String x, String y) {
        if (x.equals(y)) {
            return 0;
        }
        if (!(decimalFits(x) && decimalFits(y)) && !(int64(x) && int64(y)) && trailingZeroFraction(x)
                && trailingZeroFraction(y)) {
            double fx = Double.parseDouble(x);
            double fy = Double.parseDouble(y);
            if (!Double.isInfinite(fx) && !Double.isInfinite(fy) && fx == fy) {
                return 0;
            }
        }
        return rational(x).compareTo(rational(y));
    }

    private static BigDecimal rational(String s) {
        BigDecimal value = new BigDecimal(s);
        // big.Float's binary exponent is an int32: below 2^-2147483648 SetString gives 0.
        if (value.signum() != 0 && (long) value.precision() - value.scale() - 1 < -646_456_993L) {
            return BigDecimal.ZERO;
        }
        return value;
    }

    /** {@code util.Atoi64}: an optional sign, at most 19 digits, optionally {@code .} and zeroes, fitting int64. */
    private static boolean int64(String s) {
        String t = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
        if (t.isEmpty() || t.length() > 19 || !t.matches("[0-9]+(\\.0*)?")) {
            return false;
        }
        try {
            new BigDecimal(s).longValueExact();
            return true;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    /** OPA's {@code parseDecimal}: at most 15 significant digits, exponent text of at most 9 digits, |position| <= 300. */
    private static boolean decimalFits(String s) {
        int i = 0;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            i++;
        }
        int digits = 0;
        long m = 0;
        int e = 0;
        boolean seenDigit = false;
        boolean seenDot = false;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                seenDigit = true;
                if (m != 0 || c != '0') {
                    if (++digits > 15) {
                        return false;
                    }
                    m = m * 10 + (c - '0');
                }
                if (seenDot) {
                    e--;
                }
                continue;
            }
            if (c == '.' && !seenDot) {
                seenDot = true;
                continue;
            }
            break;
        }
        if (!seenDigit) {
            return false;
        }
        if (i < s.length()) {
            if (s.charAt(i) != 'e' && s.charAt(i) != 'E') {
                return false;
            }
            i++;
            boolean negative = false;
            if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
                negative = s.charAt(i) == '-';
                i++;
            }
            if (i == s.length() || s.length() - i > 9) {
                return false;
            }
            int exp = 0;
            for (; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
                exp = exp * 10 + (c - '0');
            }
            e += negative ? -exp : exp;
        }
        if (m == 0) {
            return true;
        }
        int position = Long.toString(m).length() + e;
        return position <= 300 && position >= -300;
    }

    /** Contains '.' and trimming trailing '.'/'0' characters changes it, leaving a '.' (OPA's "is a float"). */
    private static boolean trailingZeroFraction(String s) {
        if (s.indexOf('.') < 0) {
            return false;
        }
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '.' || s.charAt(end - 1) == '0')) {
            end--;
        }
        return end != s.length() && s.substring(0, end).indexOf('.') >= 0;
    }
}
