package dev.mcpguard.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import dev.mcpguard.api.ReasonCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the library, checked on its compiled main classes (tests excluded):
 * <ul>
 *   <li>no package cycles anywhere in {@code dev.mcpguard.core}, the root package included;</li>
 *   <li>capability packages do not depend on each other: they share vocabulary through {@code mcp-guard-api}
 *       ({@code AuditDetails}, {@code ReasonCode}, {@code GuardKeys}) and helpers through {@code internal};</li>
 *   <li>only the SDK adapter package {@code dev.mcpguard.core.mcp}, the root facade and the servlet layer
 *       {@code http} touch the MCP Java SDK;</li>
 *   <li>{@code mcp-guard-api} depends on the JDK only;</li>
 *   <li>every standard reason code is a constant of the api's {@code ReasonCode} (only the reader of a policy's
 *       result makes codes from text);</li>
 *   <li>only {@code internal.ClientText} classifies characters as unsafe for clients and logs.</li>
 * </ul>
 * No rule has an exception list (issue 9 emptied the last one, moving the SDK use of the arguments and
 * obligations steps into {@code mcp}): a class that breaks a rule is moved or split, not listed.
 */
class ArchitectureRulesTest {

    private static final String CORE = "dev.mcpguard.core";

    /** The capabilities; each may use the api, {@code internal} and third-party libraries, never another one. */
    private static final List<String> CAPABILITIES = List.of(
            "identity", "policy", "credentials", "throttle", "session", "audit", "guardrails", "obligations",
            "telemetry");

    private static final JavaClasses CORE_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(CORE);

    private static final JavaClasses API_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.mcpguard.api");

    @Test
    void corePackagesFormNoCycleTheRootPackageIncluded() {
        ArchRule rule = slices().assignedFrom(TOP_LEVEL_PACKAGES).should().beFreeOfCycles()
                .because("a cycle makes packages impossible to change, test or split one at a time");
        rule.check(CORE_CLASSES);
    }

    @Test
    void capabilityPackagesDoNotDependOnEachOther() {
        for (String capability : CAPABILITIES) {
            String[] others = CAPABILITIES.stream().filter(other -> !other.equals(capability))
                    .map(other -> CORE + "." + other + "..").toArray(String[]::new);
            ArchRule rule = noClasses().that().resideInAPackage(CORE + "." + capability + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .because("capabilities share vocabulary through mcp-guard-api, not through each other");
            rule.check(CORE_CLASSES);
        }
    }

    @Test
    void onlyTheAdapterTheFacadeAndTheServletLayerTouchTheMcpSdk() {
        ArchRule rule = noClasses().that(notAllowedToUseTheSdk())
                .should().dependOnClassesThat().resideInAPackage("io.modelcontextprotocol..")
                .because("SDK code lives in dev.mcpguard.core.mcp, so an SDK upgrade touches one package");
        rule.check(CORE_CLASSES);
    }

    @Test
    void everyStandardReasonCodeComesFromTheApi() {
        // ReasonCode lists every code mcp-guard itself produces; the one exception reads a policy's own code.
        ArchRule rule = noClasses().that().doNotHaveFullyQualifiedName(CORE + ".policy.opa.PolicyResultReader")
                .should().callMethod(ReasonCode.class, "of", String.class)
                .orShould().callConstructor(ReasonCode.class, String.class)
                .because("a reason code defined in a capability package would have to be imported by the others");
        rule.check(CORE_CLASSES);
    }

    @Test
    void onlyClientTextDecidesWhichCharactersAreUnsafe() {
        // One sanitiser: a second character classification drifts from the first (issue 9 found six).
        ArchRule rule = noClasses().that().doNotHaveFullyQualifiedName(CORE + ".internal.ClientText")
                .should().callMethod(Character.class, "getType", int.class)
                .orShould().callMethod(Character.class, "getType", char.class)
                .orShould().callMethod(Character.class, "isISOControl", int.class)
                .orShould().callMethod(Character.class, "isISOControl", char.class)
                .because("text for clients and logs is cleaned by ClientText, in one of its modes");
        rule.check(CORE_CLASSES);
    }

    @Test
    void theApiDependsOnTheJdkOnly() {
        ArchRule rule = classes().should().onlyDependOnClassesThat()
                .resideInAnyPackage("dev.mcpguard.api..", "java..")
                .because("mcp-guard-api is the vocabulary: no framework, SDK or library type may leak into it");
        rule.check(API_CLASSES);
    }

    /** Each class belongs to the top-level package under {@code dev.mcpguard.core} it lives in, or to "root". */
    private static final SliceAssignment TOP_LEVEL_PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String pkg = javaClass.getPackageName();
            if (pkg.equals(CORE)) {
                return SliceIdentifier.of("root");
            }
            if (!pkg.startsWith(CORE + ".")) {
                return SliceIdentifier.ignore();
            }
            String rest = pkg.substring(CORE.length() + 1);
            int dot = rest.indexOf('.');
            return SliceIdentifier.of(dot < 0 ? rest : rest.substring(0, dot));
        }

        @Override
        public String getDescription() {
            return "top-level packages of " + CORE + " (the root package as 'root')";
        }
    };

    private static DescribedPredicate<JavaClass> notAllowedToUseTheSdk() {
        return DescribedPredicate.describe("outside " + CORE + ".mcp, the root facade and " + CORE + ".http",
                c -> !c.getPackageName().equals(CORE)
                        && !isIn(c, CORE + ".mcp")
                        && !isIn(c, CORE + ".http"));
    }

    private static boolean isIn(JavaClass c, String pkg) {
        return c.getPackageName().equals(pkg) || c.getPackageName().startsWith(pkg + ".");
    }
}
