package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class PersonalDataDetectorTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T09:00:00Z"), ZoneOffset.UTC);
    private static final LocalDate TODAY = LocalDate.now(CLOCK);

    private final PersonalDataDetector detector = new PersonalDataDetector(PersonalDataDetector.KINDS, "US", CLOCK);

    private List<String> kindsIn(String text) {
        return detector.scan(text).stream().map(TextMatch::kind).toList();
    }

    private String matched(String text) {
        List<TextMatch> matches = detector.scan(text);
        assertThat(matches).hasSize(1);
        return text.substring(matches.get(0).start(), matches.get(0).end());
    }

    @Test
    void findsLuhnValidCardsOfKnownIssuersWithSpacesOrDashes() {
        assertThat(matched("card 4111 1111 1111 1111 on file")).isEqualTo("4111 1111 1111 1111");
        assertThat(matched("paid with 5555-5555-5555-4444.")).isEqualTo("5555-5555-5555-4444");
        assertThat(kindsIn("amex 378282246310005")).containsExactly("pii.payment_card");
        assertThat(kindsIn("mc 2221000000000009")).containsExactly("pii.payment_card");
        assertThat(detector.scan("4111 1111 1111 1111").get(0).confidence()).isEqualTo(1.0);
    }

    @Test
    void ignoresCardsThatFailLuhnOrHaveNoIssuerOrTheWrongLength() {
        assertThat(kindsIn("card 4111 1111 1111 1112")).isEmpty();
        assertThat(kindsIn("tracking 1000000000000009")).isEmpty(); // Luhn-valid, no issuer starts with 1
        assertThat(kindsIn("amex-like 3782822463100056")).isEmpty(); // 16 digits in a 15-digit range
        assertThat(PersonalDataDetector.luhn("79927398713")).isTrue();
        assertThat(PersonalDataDetector.luhn("79927398710")).isFalse();
    }

    @Test
    void findsIbansByCountryLengthAndMod97() {
        assertThat(matched("IBAN DE89 3704 0044 0532 0130 00 EUR")).isEqualTo("DE89 3704 0044 0532 0130 00");
        assertThat(matched("to GB82WEST12345698765432.")).isEqualTo("GB82WEST12345698765432");
        assertThat(kindsIn("CZ65 0800 0000 1920 0014 5399")).containsExactly("pii.iban");
        assertThat(kindsIn("SK31 1200 0000 1987 4263 7541")).containsExactly("pii.iban");
        assertThat(kindsIn("DE88 3704 0044 0532 0130 00")).isEmpty(); // check digits wrong
        assertThat(kindsIn("XX89 3704 0044 0532 0130 00")).isEmpty(); // no such country
        assertThat(kindsIn("DE89 3704 0044 0532 0130")).isEmpty(); // too short for DE
    }

    @Test
    void findsEmailAddressesWithATopLevelDomain() {
        assertThat(matched("write to jane.doe+orders@mail.example.com, thanks")).isEqualTo(
                "jane.doe+orders@mail.example.com");
        assertThat(kindsIn("user@localhost or @handle or a@b")).isEmpty();
        assertThat(detector.scan("x jane@example.org").get(0).confidence()).isLessThan(1.0);
    }

    @Test
    void findsValidPhoneNumbersInTheDefaultRegionAndInternationalOnes() {
        assertThat(matched("call (650) 253-0000 today")).isEqualTo("(650) 253-0000");
        assertThat(kindsIn("or +420 601 123 456")).containsExactly("pii.phone");
        assertThat(kindsIn("or +44 20 7946 0958")).containsExactly("pii.phone");
        assertThat(kindsIn("version 1.2.3 build 2024")).isEmpty();
        PersonalDataDetector czech = new PersonalDataDetector(PersonalDataDetector.KINDS, "CZ", CLOCK);
        assertThat(czech.scan("volejte 601 123 456")).extracting(TextMatch::kind).containsExactly("pii.phone");
        assertThat(detector.scan("volejte 601 123 456")).isEmpty();
    }

    @Test
    void findsUsSsnsWithSeparatorsOrAfterAKeywordAndAppliesTheSsaRules() {
        assertThat(matched("SSN 078-05-1120")).isEqualTo("078-05-1120");
        assertThat(kindsIn("number 123 45 6789")).containsExactly("pii.us_ssn");
        assertThat(matched("ssn: 123456789")).isEqualTo("123456789");
        assertThat(kindsIn("ref 123456789")).isEmpty();
        assertThat(kindsIn("666-12-3456 900-12-3456 000-12-3456 123-00-4567 123-45-0000")).isEmpty();
    }

    @Test
    void findsCzechAndSlovakBirthNumbersWithARealDateAndTheMod11Rule() {
        assertThat(matched("r.c. 785101/1234")).isEqualTo("785101/1234"); // a woman, 1 Jan 1978
        assertThat(kindsIn("rc 0452151238")).containsExactly("pii.cz_sk_birth_number"); // woman, 2004
        assertThat(kindsIn("rc 042101/1239")).containsExactly("pii.cz_sk_birth_number"); // +20, 2004
        assertThat(kindsIn("rc 780101/1230")).containsExactly("pii.cz_sk_birth_number"); // remainder 10, 1978
        assertThat(kindsIn("rc 450101/123")).containsExactly("pii.cz_sk_birth_number"); // nine digits, 1945
        assertThat(detector.scan("rc 450101/123").get(0).confidence()).isLessThan(1.0);
        assertThat(detector.scan("rc 785101/1234").get(0).confidence()).isEqualTo(1.0);
    }

    @Test
    void rejectsBirthNumbersWithAnImpossibleDateChecksumOrCentury() {
        assertThat(PersonalDataDetector.validBirthNumber("7802301232", TODAY)).isFalse(); // 30 February
        assertThat(PersonalDataDetector.validBirthNumber("7851011235", TODAY)).isFalse(); // not divisible by 11
        assertThat(PersonalDataDetector.validBirthNumber("3001011233", TODAY)).isFalse(); // born in 2030
        assertThat(PersonalDataDetector.validBirthNumber("9921011232", TODAY)).isFalse(); // +20 before 2004
        assertThat(PersonalDataDetector.validBirthNumber("550101123", TODAY)).isFalse(); // nine digits after 1953
        assertThat(PersonalDataDetector.validBirthNumber("0472151230", TODAY)).isFalse(); // remainder 10 after 1985
        assertThat(kindsIn("id 450101123")).isEmpty(); // nine bare digits
    }

    @Test
    void keepsTheMoreCertainMatchWhereTwoOverlap() {
        // A card number is also a run of digits libphonenumber could read; only the validated card is reported.
        assertThat(kindsIn("4111111111111111")).containsExactly("pii.payment_card");
    }

    @Test
    void reportsOnlyTheConfiguredKinds() {
        PersonalDataDetector cardsOnly = new PersonalDataDetector(java.util.Set.of("pii.payment_card"), "US", CLOCK);
        assertThat(cardsOnly.scan("jane@example.com 4111 1111 1111 1111 078-05-1120"))
                .extracting(TextMatch::kind).containsExactly("pii.payment_card");
    }
}
