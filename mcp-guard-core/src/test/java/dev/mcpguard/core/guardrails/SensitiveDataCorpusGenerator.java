package dev.mcpguard.core.guardrails;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Writes the sensitive-data corpora {@code pii.jsonl} and {@code secrets.jsonl} (see {@code SOURCES.md}): valid
 * personal data and synthetic, test-only secrets (correct checksums where the format has one), embedded in
 * sentences and JSON, and near-misses labelled {@code []} (failed checksums, impossible dates, order numbers,
 * UUIDs, commit hashes, base64 images, version strings). Seeded ({@value #SEED}), so the output is the same on
 * every run with the same libphonenumber version; {@code SensitiveDataCorpusTest} checks the committed files
 * against it and rewrites them when run with {@code -Dguardrails.corpus.write=true}.
 *
 * <p>No secret here was ever issued: each is random bytes in an issuer's shape, made for this corpus.
 */
final class SensitiveDataCorpusGenerator {

    static final long SEED = 1402;
    static final String PII_SOURCE = "mcp-guard-synthetic-pii";
    static final String SECRETS_SOURCE = "mcp-guard-synthetic-secrets-not-real";

    private static final String DIGITS = "0123456789";
    private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final String BASE32 = UPPER + "234567";
    private static final String BASE62 = DIGITS + UPPER + "abcdefghijklmnopqrstuvwxyz";
    private static final String BASE64 = BASE62 + "+/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String[] FIRST = {"Jana", "Petr", "Eva", "Tomas", "Lucie", "Martin", "Anna", "James",
        "Priya", "Oliver", "Sofia", "Lukas", "Marta", "David", "Chloe", "Noah"};
    private static final String[] LAST = {"Novakova", "Svoboda", "Dvorak", "Smith", "Patel", "Muller", "Kowalska",
        "Garcia", "Horvath", "Brown", "Fischer", "Rossi"};
    private static final String[] DOMAINS = {"example.com", "example.org", "example.net", "mail.example.com",
        "corp.example.co.uk", "test.example.cz"};

    private final Random random = new Random(SEED);
    private final PhoneNumberUtil phones = PhoneNumberUtil.getInstance();

    /** The lines of {@code pii.jsonl}. */
    List<String> pii() {
        List<String> lines = new ArrayList<>();
        int n = 0;
        for (int i = 0; i < 60; i++) {
            String card = card(i);
            String text = pick("Paid with card %s, thanks.", "Customer reads the card number: %s (exp 09/29)",
                    "refund to %s failed", "cc=%s;amount=19.90");
            lines.add(text(PII_SOURCE, "pii-card-" + n++, String.format(text, card), "pii.payment_card"));
        }
        for (int i = 0; i < 50; i++) {
            String iban = iban(i);
            String text = pick("Please wire the deposit to IBAN %s by Friday.", "Beneficiary account: %s",
                    "Refund goes to %s (%s %s).");
            lines.add(text(PII_SOURCE, "pii-iban-" + n++, String.format(text, iban, pick(FIRST), pick(LAST)),
                    "pii.iban"));
        }
        for (int i = 0; i < 50; i++) {
            String email = email();
            String text = pick("Contact %s for the invoice.", "From: %s\nSubject: order update",
                    "user %s reset the password", "cc: <%s>");
            lines.add(text(PII_SOURCE, "pii-email-" + n++, String.format(text, email), "pii.email"));
        }
        for (int i = 0; i < 50; i++) {
            String phone = phone(i);
            String text = pick("Call me back on %s please.", "Tel.: %s", "customer phone %s, prefers evenings");
            lines.add(text(PII_SOURCE, "pii-phone-" + n++, String.format(text, phone), "pii.phone"));
        }
        for (int i = 0; i < 40; i++) {
            String ssn = ssn();
            String text = i % 4 == 0 ? "SSN: " + ssn.replace("-", "") : pick("Employee SSN %s on file.",
                    "social security number %s", "W-2 lists %s");
            lines.add(text(PII_SOURCE, "pii-ssn-" + n++, i % 4 == 0 ? text : String.format(text, ssn), "pii.us_ssn"));
        }
        for (int i = 0; i < 60; i++) {
            String birth = birthNumber(i);
            String text = pick("Rodne cislo: %s", "pacient r.c. %s, pojistovna 111", "birth number %s verified");
            lines.add(text(PII_SOURCE, "pii-birth-" + n++, String.format(text, birth), "pii.cz_sk_birth_number"));
        }
        for (int i = 0; i < 40; i++) {
            Map<String, Object> customer = new LinkedHashMap<>();
            customer.put("name", pick(FIRST) + " " + pick(LAST));
            customer.put("email", email());
            customer.put("phone", phone(i));
            Map<String, Object> payment = new LinkedHashMap<>();
            payment.put("card", card(i));
            payment.put("iban", iban(i));
            Map<String, Object> order = new LinkedHashMap<>();
            order.put("orderId", "ORD-" + digits(7));
            order.put("customer", customer);
            order.put("payment", payment);
            order.put("note", "leave at the door");
            lines.add(json(PII_SOURCE, "pii-json-" + n++, order,
                    "pii.email", "pii.phone", "pii.payment_card", "pii.iban"));
        }
        // Near-misses: each is labelled with nothing.
        for (int i = 0; i < 40; i++) {
            String card = card(i);
            char last = card.charAt(card.length() - 1);
            String broken = card.substring(0, card.length() - 1) + (char) ('0' + (last - '0' + 1) % 10);
            lines.add(text(PII_SOURCE, "pii-near-card-" + n++, "card " + broken + " was declined"));
        }
        for (int i = 0; i < 30; i++) {
            String iban = iban(i);
            int check = Integer.parseInt(iban.substring(2, 4));
            int wrong = 2 + (check - 2 + 1 + random.nextInt(95)) % 97; // never the right one
            String broken = iban.substring(0, 2) + String.format("%02d", wrong) + iban.substring(4);
            lines.add(text(PII_SOURCE, "pii-near-iban-" + n++, "Account " + broken + " (typo, rejected)"));
        }
        for (int i = 0; i < 30; i++) {
            lines.add(text(PII_SOURCE, "pii-near-birth-" + n++, "rc " + invalidBirthNumber(i)));
        }
        for (int i = 0; i < 20; i++) {
            String[] bad = {"666", "000", "9" + digits(2), digits(3)};
            String area = bad[i % 4];
            String group = i % 4 == 3 ? "00" : "1" + random.nextInt(10);
            lines.add(text(PII_SOURCE, "pii-near-ssn-" + n++, "id " + area + "-" + group + "-" + digits(4)));
        }
        for (int i = 0; i < 80; i++) {
            lines.add(text(PII_SOURCE, "pii-near-other-" + n++, nearMiss(i)));
        }
        return lines;
    }

    /** The lines of {@code secrets.jsonl}. */
    List<String> secrets() {
        List<String> lines = new ArrayList<>();
        int n = 0;
        String src = SECRETS_SOURCE;
        for (int i = 0; i < 30; i++) {
            String key = (i % 3 == 0 ? "ASIA" : "AKIA") + random(BASE32, 9) + "EXAMPLE";
            if (i % 2 == 0) {
                String secret = random(BASE64, 30) + "EXAMPLEKEY";
                lines.add(text(src, "secret-aws-" + n++, "[default]\naws_access_key_id = " + key
                        + "\naws_secret_access_key = " + secret + "\n", "secret.aws_access_key",
                        "secret.aws_secret_key"));
            } else {
                lines.add(text(src, "secret-aws-" + n++, "export AWS_ACCESS_KEY_ID=" + key, "secret.aws_access_key"));
            }
        }
        for (int i = 0; i < 20; i++) {
            String key = "AIza" + random(BASE62 + "_-", 35);
            lines.add(formatted(src, "secret-gcp-" + n++, pick("maps.googleapis.com/maps/api/js?key=%s&callback=init",
                    "GOOGLE_API_KEY: \"%s\""), key, "secret.gcp_api_key"));
        }
        String[] prefixes = {"ghp", "gho", "ghu", "ghs", "ghr"};
        for (int i = 0; i < 40; i++) {
            String token = githubToken(prefixes[i % 5]);
            lines.add(text(src, "secret-github-" + n++, String.format(pick("git clone https://%s@github.com/acme/app",
                    "GITHUB_TOKEN=%s", "Authorization: token %s", "the bot token is %s, rotate it"), token),
                    "secret.github_token"));
        }
        for (int i = 0; i < 10; i++) {
            String pat = "github_pat_" + random(BASE62, 22) + "_" + random(BASE62, 59);
            lines.add(text(src, "secret-github-" + n++, "gh auth login --with-token <<< " + pat, "secret.github_token"));
        }
        for (int i = 0; i < 20; i++) {
            String token = "glpat-" + random(BASE62 + "_-", 20);
            lines.add(text(src, "secret-gitlab-" + n++, String.format(pick("PRIVATE-TOKEN: %s",
                    "gitlab token %s"), token), "secret.gitlab_token"));
        }
        for (int i = 0; i < 20; i++) {
            String text = i % 2 == 0
                    ? "SLACK_BOT_TOKEN=xox" + "bpar".charAt(i % 4) + "-" + digits(12) + "-" + digits(13) + "-"
                            + random(BASE62, 24)
                    : "webhook: https://hooks.slack.com/services/T" + random(UPPER + DIGITS, 8) + "/B"
                            + random(UPPER + DIGITS, 10) + "/" + random(BASE62, 24);
            lines.add(text(src, "secret-slack-" + n++, text, "secret.slack_token"));
        }
        for (int i = 0; i < 30; i++) {
            lines.add(formatted(src, "secret-jwt-" + n++, pick("Authorization: Bearer %s", "id_token=%s&state=af0ifjsldkj",
                    "cookie session=%s; Path=/"), jwt(), "secret.jwt"));
        }
        for (int i = 0; i < 25; i++) {
            lines.add(text(src, "secret-pem-" + n++, "Here is the deploy key, keep it safe:\n" + pem(i) + "\n",
                    "secret.private_key"));
        }
        for (int i = 0; i < 35; i++) {
            String value = random(BASE62 + "!#$%^&*", 20 + random.nextInt(13));
            String text = pick("DB_PASSWORD=%s", "spring.datasource.password: %s", "client_secret = \"%s\"",
                    "api_key: %s", "the new password is %s", "{\"apiKey\": \"%s\", \"region\": \"eu\"}");
            lines.add(text(src, "secret-generic-" + n++, String.format(text, value), "secret.generic"));
        }
        for (int i = 0; i < 20; i++) {
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("service", "billing");
            Map<String, Object> github = new LinkedHashMap<>(); // Map.of's order differs from run to run
            github.put("token", githubToken("ghs"));
            Map<String, Object> database = new LinkedHashMap<>();
            database.put("user", "app");
            database.put("password", random(BASE62, 24));
            config.put("github", github);
            config.put("database", database);
            lines.add(json(src, "secret-json-" + n++, config, "secret.github_token", "secret.generic"));
        }
        // Near-misses: each is labelled with nothing.
        for (int i = 0; i < 30; i++) {
            String token = githubToken(prefixes[i % 5]);
            String wrong = token.substring(0, 34) + rotate(token.substring(34));
            lines.add(text(src, "secret-near-github-" + n++, "revoked token " + wrong + " (checksum mismatch)"));
        }
        for (int i = 0; i < 100; i++) {
            lines.add(text(src, "secret-near-other-" + n++, secretNearMiss(i)));
        }
        return lines;
    }

    private String card(int i) {
        String[][] brands = {{"4", "16"}, {"4", "13"}, {"51", "16"}, {"55", "16"}, {"2221", "16"}, {"2720", "16"},
            {"34", "15"}, {"37", "15"}, {"6011", "16"}, {"65", "16"}, {"3530", "16"}, {"36", "14"}, {"62", "16"},
            {"6759", "16"}, {"4", "19"}};
        String[] brand = brands[i % brands.length];
        int length = Integer.parseInt(brand[1]);
        String body = brand[0] + digits(length - brand[0].length() - 1);
        String number = body + luhnDigit(body);
        return switch (i % 3) {
            case 0 -> number;
            case 1 -> length == 15 ? number.substring(0, 4) + " " + number.substring(4, 10) + " " + number.substring(10)
                    : group(number, " ");
            default -> group(number, "-");
        };
    }

    private static int luhnDigit(String body) {
        for (int d = 0; d < 10; d++) {
            if (PersonalDataDetector.luhn(body + d)) {
                return d;
            }
        }
        throw new IllegalStateException();
    }

    private static String group(String s, String separator) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < s.length(); k += 4) {
            if (k > 0) {
                b.append(separator);
            }
            b.append(s, k, Math.min(s.length(), k + 4));
        }
        return b.toString();
    }

    private String iban(int i) {
        String[][] countries = {{"CZ", "20d"}, {"SK", "20d"}, {"DE", "18d"}, {"GB", "4a14d"}, {"FR", "23d"},
            {"NL", "4a10d"}, {"AT", "16d"}, {"PL", "24d"}, {"ES", "20d"}, {"IT", "1a22d"}};
        String[] c = countries[i % countries.length];
        String spec = c[1];
        String bban = spec.contains("a")
                ? random(UPPER, Integer.parseInt(spec.substring(0, spec.indexOf('a'))))
                        + digits(Integer.parseInt(spec.substring(spec.indexOf('a') + 1, spec.length() - 1)))
                : digits(Integer.parseInt(spec.substring(0, spec.length() - 1)));
        StringBuilder numeric = new StringBuilder();
        for (char ch : (bban + c[0] + "00").toCharArray()) {
            numeric.append(Character.isDigit(ch) ? String.valueOf(ch) : String.valueOf(ch - 'A' + 10));
        }
        int check = 98 - new BigInteger(numeric.toString()).mod(BigInteger.valueOf(97)).intValue();
        String iban = c[0] + String.format("%02d", check) + bban;
        return i % 2 == 0 ? group(iban, " ") : iban;
    }

    private String email() {
        String first = pick(FIRST).toLowerCase();
        String last = pick(LAST).toLowerCase();
        String local = switch (random.nextInt(4)) {
            case 0 -> first + "." + last;
            case 1 -> first.charAt(0) + last + random.nextInt(100);
            case 2 -> first + "+orders";
            default -> last + "_" + first;
        };
        return local + "@" + pick(DOMAINS);
    }

    private String phone(int i) {
        String[] regions = {"US", "CZ", "SK", "DE", "GB", "FR", "PL", "AT"};
        String region = regions[i % regions.length];
        PhoneNumber example = phones.getExampleNumberForType(region, i % 2 == 0
                ? PhoneNumberUtil.PhoneNumberType.MOBILE : PhoneNumberUtil.PhoneNumberType.FIXED_LINE);
        for (int tries = 0; tries < 100; tries++) {
            String national = String.valueOf(example.getNationalNumber());
            String varied = national.substring(0, national.length() - 3) + digits(3);
            PhoneNumber number = new PhoneNumber().setCountryCode(example.getCountryCode())
                    .setNationalNumber(Long.parseLong(varied));
            if (phones.isValidNumber(number)) {
                PhoneNumberUtil.PhoneNumberFormat format = region.equals("US") && i % 4 == 0
                        ? PhoneNumberUtil.PhoneNumberFormat.NATIONAL : PhoneNumberUtil.PhoneNumberFormat.INTERNATIONAL;
                return phones.format(number, format);
            }
        }
        throw new IllegalStateException("no valid number near the example for " + region);
    }

    private String ssn() {
        int area;
        do {
            area = 1 + random.nextInt(899);
        } while (area == 666);
        return String.format("%03d-%02d-%04d", area, 1 + random.nextInt(99), 1 + random.nextInt(9999));
    }

    private String birthNumber(int i) {
        while (true) {
            int kind = i % 6; // male, female, male +20, female +70, nine digits before 1954, remainder 10
            int year = switch (kind) {
                case 2, 3 -> 2004 + random.nextInt(20);
                case 4 -> 1920 + random.nextInt(34);
                case 5 -> 1954 + random.nextInt(32);
                default -> 1954 + random.nextInt(70);
            };
            LocalDate born = LocalDate.of(year, 1, 1).plusDays(random.nextInt(365));
            int month = born.getMonthValue() + switch (kind) {
                case 1 -> 50;
                case 2 -> 20;
                case 3 -> 70;
                default -> 0;
            };
            String date = String.format("%02d%02d%02d", year % 100, month, born.getDayOfMonth());
            String serial = digits(3);
            if (kind == 4) {
                return date + "/" + serial;
            }
            long first9 = Long.parseLong(date + serial);
            int remainder = (int) (first9 % 11);
            if (kind == 5 && remainder != 10) {
                continue;
            }
            int check = remainder == 10 ? 0 : remainder;
            // 10 * first9 + d divisible by 11: d = first9 mod 11 (as 10 = -1 mod 11); 10 is written as 0 (kind 5).
            if (kind != 5 && remainder == 10) {
                continue;
            }
            String number = date + serial + check;
            return random.nextBoolean() ? date + "/" + serial + check : number;
        }
    }

    private String invalidBirthNumber(int i) {
        while (true) {
            String date = switch (i % 3) {
                case 0 -> String.format("%02d0230", 60 + random.nextInt(30)); // 30 February
                case 1 -> String.format("%02d13%02d", 60 + random.nextInt(30), 1 + random.nextInt(28)); // month 13
                default -> String.format("%02d%02d%02d", 60 + random.nextInt(30), 1 + random.nextInt(12),
                        1 + random.nextInt(28));
            };
            String serial = digits(3);
            long first9 = Long.parseLong(date + serial);
            int good = (int) (first9 % 11);
            if (good == 10) {
                continue;
            }
            int check = i % 3 == 2 ? (good + 1 + random.nextInt(8)) % 10 : good; // the third: a wrong check digit
            if (i % 3 == 2 && check == good) {
                continue;
            }
            return date + "/" + serial + check;
        }
    }

    private String nearMiss(int i) {
        return switch (i % 10) {
            case 0 -> "Order ORD-" + digits(8) + " shipped, tracking 1Z" + random(UPPER + DIGITS, 16);
            case 1 -> "request id " + new UUID(random.nextLong(), random.nextLong());
            case 2 -> "fixed in commit " + HexFormat.of().formatHex(bytes(20));
            case 3 -> "upgraded from 1." + random.nextInt(30) + "." + random.nextInt(10) + " to 2." + random.nextInt(9)
                    + ".0-rc." + random.nextInt(5);
            case 4 -> "ts=" + (1_700_000_000_000L + random.nextInt(1_000_000_000)) + " level=info msg=\"ok\"";
            case 5 -> "ISBN 978-" + digits(1) + "-" + digits(4) + "-" + digits(4) + "-" + digits(1);
            case 6 -> "write to support at example dot com or @" + pick(FIRST).toLowerCase() + " on chat";
            case 7 -> "invoice " + digits(4) + "/" + digits(4) + " total 1 234,50 CZK";
            case 8 -> "host 10." + random.nextInt(255) + "." + random.nextInt(255) + "." + random.nextInt(255)
                    + ":8080 answered in " + random.nextInt(900) + " ms";
            default -> "card ending in " + digits(4) + ", expires 0" + (1 + random.nextInt(9)) + "/2" + random.nextInt(10);
        };
    }

    private String secretNearMiss(int i) {
        return switch (i % 10) {
            case 0 -> "<img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(bytes(90)) + "\">";
            case 1 -> "commit " + HexFormat.of().formatHex(bytes(20)) + " by " + pick(FIRST);
            case 2 -> "trace_id=" + new UUID(random.nextLong(), random.nextLong()) + " span=" + HexFormat.of()
                    .formatHex(bytes(8));
            case 3 -> "password: ******** (hidden)";
            case 4 -> "api_key: ${API_KEY}";
            case 5 -> "the secret to good coffee is freshly ground beans and patience";
            case 6 -> "token expired at 2026-" + String.format("%02d", 1 + random.nextInt(12)) + "-01T00:00:00Z,"
                    + " please sign in again";
            case 7 -> "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(bytes(48)) + "\n-----END PUBLIC"
                    + " KEY-----";
            case 8 -> "AKIA" + random(BASE32, 12) + " is too short to be a key id";
            default -> "image sha256:" + HexFormat.of().formatHex(bytes(32)) + " pulled";
        };
    }

    private String githubToken(String prefix) {
        String body = random(BASE62, 30);
        return prefix + "_" + body + SecretDetector.githubChecksum(body);
    }

    /** {@code checksum} with its last character changed: never a valid checksum again. */
    private static String rotate(String checksum) {
        char last = checksum.charAt(checksum.length() - 1);
        return checksum.substring(0, checksum.length() - 1) + BASE62.charAt((BASE62.indexOf(last) + 1) % 62);
    }

    private String jwt() {
        String alg = pick("HS256", "RS256", "ES256", "PS384");
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
        String payload = "{\"sub\":\"" + digits(8) + "\",\"iat\":" + (1_700_000_000L + random.nextInt(100_000_000))
                + ",\"scope\":\"orders:read\"}";
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(bytes(32));
    }

    /** A PEM private key block: a real, freshly drawn P-256 key in PKCS#8 for the first kind, random bodies else. */
    private String pem(int i) {
        String[] labels = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY"};
        String label = labels[i % labels.length];
        byte[] der;
        if (i % labels.length == 0) {
            byte[] prefix = HexFormat.of().parseHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");
            der = new byte[prefix.length + 32];
            System.arraycopy(prefix, 0, der, 0, prefix.length);
            System.arraycopy(bytes(32), 0, der, prefix.length, 32);
        } else {
            der = bytes(120 + random.nextInt(400));
        }
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----";
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private String digits(int n) {
        return random(DIGITS, n);
    }

    private String random(String alphabet, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int k = 0; k < n; k++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    private static String text(String source, String id, String text, String... labels) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("id", id);
        item.put("source", source);
        item.put("text", text);
        item.put("labels", new TreeSet<>(Set.of(labels)));
        return write(item);
    }

    private static String formatted(String source, String id, String format, String value, String label) {
        return text(source, id, String.format(format, value), label);
    }

    private static String json(String source, String id, Map<String, Object> json, String... labels) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("id", id);
        item.put("source", source);
        item.put("json", json);
        item.put("labels", new TreeSet<>(Set.of(labels)));
        return write(item);
    }

    private static String write(Map<String, Object> item) {
        try {
            return JSON.writeValueAsString(item);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
