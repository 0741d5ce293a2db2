package dev.mcpguard.core.guardrails;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the sensitive-data detectors per text (issue 14): {@link PersonalDataDetector} (cards, IBANs, e-mail,
 * phones with libphonenumber, SSNs, birth numbers), {@link SecretDetector} (cloud keys, tokens, JWTs, private keys,
 * high-entropy values near key words) and {@link SensitiveDataRedactor} (both, masking a tool result given as a
 * map holding the text), on 1 KB and 64 KB of benign text (order notes, tickets, log lines) and of the same text
 * with a finding every 256 bytes or so. Divide the time per operation by {@code kb} for the cost per KB. In the
 * package of the classes it measures, which are package-private. Values are made up; no secret is real.
 *
 * <p>Run: {@code java -jar mcp-guard-bench/target/benchmarks.jar SensitiveDataDetectorBenchmark -wi 2 -i 3 -f 1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SensitiveDataDetectorBenchmark {

    static final String[] BENIGN = {
            "Order SO-4648558 is packed and waits for the courier; the customer asked for delivery after 5 pm. ",
            "Ticket 8812: the export to CSV stops at 10,000 rows, reproduced on version 4.2.1 with the demo data. ",
            "2026-12-03T09:15:02Z INFO shipping.worker batch=41 items=250 duration_ms=812 status=done retry=0 ",
            "Thanks for your patience. We refunded the delivery fee and the new parcel leaves the warehouse today. ",
            "The invoice total is 1,284.50 EUR including VAT; payment terms are 30 days from the invoice date. ",
    };
    static final String[] FINDINGS = {
            "Contact: jana.novakova@example.com ", "Card 4111 1111 1111 1111 exp 12/29 ",
            "IBAN CZ65 0800 0000 1920 0014 5399 ", "Call +1 650 253 0000 for help ",
            "aws_access_key_id=AKIAIOSFODNN7EXAMPLE ", "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a ",
            "SSN 078-05-1120 ", "rodne cislo 736028/5163 ",
    };

    @Param({"1", "64"})
    public int kb;

    @Param({"benign", "findings"})
    public String text;

    private String value;
    private Map<String, Object> result;
    private PersonalDataDetector pii;
    private SecretDetector secrets;
    private SensitiveDataRedactor redactor;

    @Setup
    public void setUp() {
        StringBuilder out = new StringBuilder(kb * 1024 + 128);
        int i = 0;
        int sinceFinding = 0;
        while (out.length() < kb * 1024) {
            String next = BENIGN[i % BENIGN.length];
            out.append(next);
            sinceFinding += next.length();
            if (text.equals("findings") && sinceFinding >= 256) {
                out.append(FINDINGS[i % FINDINGS.length]);
                sinceFinding = 0;
            }
            i++;
        }
        value = out.substring(0, kb * 1024);
        result = Map.of("content", value);
        Clock clock = Clock.systemUTC();
        pii = new PersonalDataDetector(PersonalDataDetector.KINDS, SensitiveDataConfig.DEFAULT_PHONE_REGION, clock);
        secrets = new SecretDetector(SecretDetector.KINDS);
        redactor = SensitiveDataRedactor.of(SensitiveDataConfig.ofDefaults(), clock);
        boolean found = !pii.scan(value).isEmpty() || !secrets.scan(value).isEmpty();
        if (found != text.equals("findings")) {
            throw new IllegalStateException("the " + text + " text must " + (found ? "not " : "") + "hold findings");
        }
    }

    @Benchmark
    public Object personalData() {
        return pii.scan(value);
    }

    @Benchmark
    public Object secrets() {
        return secrets.scan(value);
    }

    @Benchmark
    public Object redactResult() {
        return redactor.redact(result, "$", ContentWalker.Limits.DEFAULTS);
    }
}
