package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OPA's string and array builtins that the wasm module compiles in, supplied by the host in place of the module's
 * own runtime functions ({@link CompiledBuiltinOverrides}), as OPA 1.22.2's Go code computes them
 * (topdown/strings.go, array.go, template_string.go, print.go and Go's {@code strings} package):
 * <ul>
 * <li>{@code substring(s, offset, length)} and {@code indexof(s, needle)} count code points (bytes for ASCII, as
 * OPA's fast path does); a negative offset, or an empty needle, is undefined; a negative length takes the rest;
 * offsets and lengths are OPA's integer operands ({@code util.Atoi64}: {@code 1.0} is 1, {@code 1e0} and values
 * beyond int64 are undefined).</li>
 * <li>{@code replace(s, old, new)} is Go's {@code strings.NewReplacer(old, new)}: non-overlapping, left to right,
 * and an empty {@code old} is inserted before every byte and at the end ({@code replace("é", "", "x")} holds the
 * two bytes of {@code é} apart, which is not UTF-8; the module holds those bytes as OPA does).</li>
 * <li>{@code concat(sep, strings)} joins an array in its order and a set in OPA's order (sorted by bytes).</li>
 * <li>{@code lower} and {@code upper} map every code point with Go's Unicode 15 tables ({@link TextCaseTables}); a
 * byte that is not UTF-8 becomes U+FFFD, as Go's {@code strings.Map} does.</li>
 * <li>{@code array.slice(a, from, to)} clamps both indexes into the array and shares its elements.</li>
 * <li>{@code internal.template_string(parts)}, what {@code $"..{x}.."} compiles to, prints strings as they are,
 * numbers as their text, an undefined expression (an empty set) as {@code <undefined>} and other values as OPA's
 * {@code Value.String()} does (sorted keys and members, Go-quoted strings).</li>
 * </ul>
 * A bad operand is undefined, as in OPA's wasm runtime. The evaluation halts (the call is denied) where OPA's
 * would fail: a template part with more than one value or of a type the compiler never passes; and where the
 * host will not follow: a result of more than {@link TextModuleValues#MAX_RESULT_BYTES} bytes, a collection in a
 * template string holding a string that is not UTF-8. Operands are read from the module's memory and results
 * written there by {@link TextModuleValues}, so numbers keep their text and strings their bytes. Thread-safe
 * (stateless).
 */
final class TextBuiltins {

    private TextBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                new ModuleBuiltin("substring", TextBuiltins::substring),
                new ModuleBuiltin("indexof", TextBuiltins::indexOf),
                new ModuleBuiltin("replace", TextBuiltins::replace),
                new ModuleBuiltin("concat", TextBuiltins::concat),
                new ModuleBuiltin("lower", (wasm, args) -> mapCase(wasm, args[0], true)),
                new ModuleBuiltin("upper", (wasm, args) -> mapCase(wasm, args[0], false)),
                new ModuleBuiltin("array.slice", TextBuiltins::arraySlice),
                new ModuleBuiltin("internal.template_string", TextBuiltins::templateString));
    }

    // ------------------------------------------------------------------ the builtins

    private static int substring(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        byte[] base = text(wasm, args[0]);
        long start = integer(wasm, args[1]);
        long length = integer(wasm, args[2]);
        if (start < 0) {
            throw new HostBuiltin.Undefined("negative offset");
        }
        if (base.length == 0) {
            return TextModuleValues.writeString(wasm, base);
        }
        if (TextModuleValues.isAscii(base)) {
            if (start >= base.length) {
                return TextModuleValues.writeString(wasm, new byte[0]);
            }
            if (length < 0) {
                return TextModuleValues.writeString(wasm, Arrays.copyOfRange(base, (int) start, base.length));
            }
            if (start == 0 && length >= base.length) {
                return args[0];
            }
            int upto = (int) (start + Math.min(length, base.length - start));
            return TextModuleValues.writeString(wasm, Arrays.copyOfRange(base, (int) start, upto));
        }
        int[] runes = TextModuleValues.runes(base);
        if (start == 0 && length >= runes.length) {
            return args[0];
        }
        if (start >= runes.length) {
            return TextModuleValues.writeString(wasm, new byte[0]);
        }
        int upto = length < 0 ? runes.length : (int) (start + Math.min(length, runes.length - start));
        return TextModuleValues.writeString(wasm, TextModuleValues.utf8(runes, (int) start, upto));
    }

    private static int indexOf(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        byte[] base = text(wasm, args[0]);
        byte[] search = text(wasm, args[1]);
        if (search.length == 0) {
            throw new HostBuiltin.Undefined("empty search character");
        }
        if (TextModuleValues.isAscii(base) && TextModuleValues.isAscii(search)) {
            return number(wasm, indexOf(base, search, 0));
        }
        int[] baseRunes = TextModuleValues.runes(base);
        int[] searchRunes = TextModuleValues.runes(search);
        for (int i = 0; i + searchRunes.length <= baseRunes.length; i++) {
            if (Arrays.equals(baseRunes, i, i + searchRunes.length, searchRunes, 0, searchRunes.length)) {
                return number(wasm, i);
            }
        }
        return number(wasm, -1);
    }

    private static int replace(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        byte[] s = text(wasm, args[0]);
        byte[] old = text(wasm, args[1]);
        byte[] replacement = text(wasm, args[2]);
        byte[] replaced = replace(s, old, replacement);
        return replaced == s ? args[0] : TextModuleValues.writeString(wasm, replaced);
    }

    /**
     * Go's {@code strings.NewReplacer(old, new).Replace(s)} on bytes; {@code s} itself when nothing is replaced.
     * An empty {@code old} (Go's generic replacer matching the empty string) puts {@code new} before each byte and
     * at the end.
     */
    static byte[] replace(byte[] s, byte[] old, byte[] replacement) {
        if (old.length == 0) {
            checkSize((long) s.length + (long) (s.length + 1) * replacement.length);
            if (replacement.length == 0) {
                return s;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(s.length * (replacement.length + 1) + 1);
            for (byte b : s) {
                out.writeBytes(replacement);
                out.write(b);
            }
            out.writeBytes(replacement);
            return out.toByteArray();
        }
        int count = 0;
        for (int at = indexOf(s, old, 0); at >= 0; at = indexOf(s, old, at + old.length)) {
            count++;
        }
        if (count == 0) {
            return s;
        }
        checkSize(s.length + (long) count * (replacement.length - old.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length + count * Math.max(0,
                replacement.length - old.length));
        int from = 0;
        for (int at = indexOf(s, old, 0); at >= 0; at = indexOf(s, old, from)) {
            out.write(s, from, at - from);
            out.writeBytes(replacement);
            from = at + old.length;
        }
        out.write(s, from, s.length - from);
        byte[] result = out.toByteArray();
        return Arrays.equals(result, s) ? s : result;
    }

    private static int concat(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        byte[] separator = text(wasm, args[0]);
        RegoValue collection = TextModuleValues.read(wasm, args[1]);
        List<RegoValue> elements;
        if (collection instanceof RegoValue.Arr array) {
            elements = array.elements();
        } else if (collection instanceof RegoValue.RSet set) {
            elements = set.elements();
        } else {
            throw new HostBuiltin.Undefined("operand 2 must be one of {set, array}");
        }
        List<byte[]> parts = new ArrayList<>(elements.size());
        long size = 0;
        for (RegoValue element : elements) {
            if (!(element instanceof RegoValue.Str s)) {
                throw new HostBuiltin.Undefined("operand 2 must be a collection of strings");
            }
            byte[] part = TextModuleValues.bytes(s.value());
            parts.add(part);
            size += part.length;
        }
        if (collection instanceof RegoValue.RSet) {
            parts.sort(Arrays::compareUnsigned); // OPA iterates a set in its sorted order; strings sort by bytes
        }
        checkSize(size + (long) separator.length * Math.max(0, parts.size() - 1));
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                out.writeBytes(separator);
            }
            out.writeBytes(parts.get(i));
        }
        return TextModuleValues.writeString(wasm, out.toByteArray());
    }

    private static int mapCase(OpaWasm wasm, int arg, boolean lower) throws HostBuiltin.Undefined {
        byte[] s = text(wasm, arg);
        byte[] mapped = lower ? toLower(s) : toUpper(s);
        return Arrays.equals(mapped, s) ? arg : TextModuleValues.writeString(wasm, mapped);
    }

    /** Go's {@code strings.ToLower}. */
    static byte[] toLower(byte[] s) {
        return mapRunes(s, true);
    }

    /** Go's {@code strings.ToUpper}. */
    static byte[] toUpper(byte[] s) {
        return mapRunes(s, false);
    }

    private static byte[] mapRunes(byte[] s, boolean lower) {
        if (TextModuleValues.isAscii(s)) {
            byte[] out = s.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (lower ? TextCaseTables.toLower(out[i]) : TextCaseTables.toUpper(out[i]));
            }
            return out;
        }
        // strings.Map: every rune mapped, each byte that is not UTF-8 read (and so written) as U+FFFD.
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length + 4);
        for (int r : TextModuleValues.runes(s)) {
            TextModuleValues.appendRune(out, lower ? TextCaseTables.toLower(r) : TextCaseTables.toUpper(r));
        }
        return out.toByteArray();
    }

    private static int arraySlice(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        if (TextModuleValues.type(wasm, args[0]) != TextModuleValues.OPA_ARRAY) {
            throw new HostBuiltin.Undefined("operand 1 must be an array");
        }
        long start = integer(wasm, args[1]);
        long stop = integer(wasm, args[2]);
        int length = TextModuleValues.arrayLength(wasm, args[0]);
        if (stop < 0) {
            stop = 0;
        } else if (stop > length) {
            stop = length;
        }
        if (start < 0) {
            start = 0;
        } else if (start > stop) {
            start = stop;
        }
        if (start == 0 && stop >= length) {
            return args[0];
        }
        return TextModuleValues.slice(wasm, args[0], (int) start, (int) stop);
    }

    private static int templateString(OpaWasm wasm, int[] args) throws HostBuiltin.Undefined {
        if (!(TextModuleValues.read(wasm, args[0]) instanceof RegoValue.Arr parts)) {
            throw new HostBuiltin.Undefined("operand 1 must be an array");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (RegoValue part : parts.elements()) {
            byte[] text = templatePart(part);
            checkSize((long) out.size() + text.length);
            out.writeBytes(text);
        }
        return TextModuleValues.writeString(wasm, out.toByteArray());
    }

    /** print.go's {@code builtinPrintCrossProductOperands} for one part, which must give one output. */
    private static byte[] templatePart(RegoValue part) {
        RegoValue value = part;
        if (part instanceof RegoValue.RSet set) {
            if (set.elements().isEmpty()) {
                return "<undefined>".getBytes(StandardCharsets.US_ASCII);
            }
            if (set.elements().size() > 1) {
                throw new HostBuiltin.Halt("template-strings must not produce multiple outputs");
            }
            value = set.elements().get(0);
        } else if (part instanceof RegoValue.Arr || part instanceof RegoValue.Obj) {
            throw new HostBuiltin.Halt("illegal argument type: " + (part instanceof RegoValue.Arr ? "array" : "object"));
        }
        if (value instanceof RegoValue.Str s) {
            return TextModuleValues.bytes(s.value());
        }
        if (hasStrayBytes(value)) {
            // Go quotes such a byte as \x..; RegoValue.goText works on Java strings. Fail closed instead.
            throw new HostBuiltin.Halt("a template string of a collection holding a string that is not UTF-8");
        }
        return value.goText().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean hasStrayBytes(RegoValue value) {
        if (value instanceof RegoValue.Str s) {
            return TextModuleValues.hasStrayBytes(s.value());
        } else if (value instanceof RegoValue.Arr a) {
            return a.elements().stream().anyMatch(TextBuiltins::hasStrayBytes);
        } else if (value instanceof RegoValue.RSet s) {
            return s.elements().stream().anyMatch(TextBuiltins::hasStrayBytes);
        } else if (value instanceof RegoValue.Obj o) {
            return o.keys().stream().anyMatch(TextBuiltins::hasStrayBytes)
                    || o.values().stream().anyMatch(TextBuiltins::hasStrayBytes);
        }
        return false;
    }

    // ------------------------------------------------------------------ operands

    /** A string operand's bytes (OPA's {@code StringOperand}). */
    private static byte[] text(OpaWasm wasm, int address) throws HostBuiltin.Undefined {
        if (!(TextModuleValues.read(wasm, address) instanceof RegoValue.Str s)) {
            throw new HostBuiltin.Undefined("operand must be a string");
        }
        return TextModuleValues.bytes(s.value());
    }

    /** An integer operand (OPA's {@code IntOperand}: {@code util.Atoi64} of the number's text). */
    private static long integer(OpaWasm wasm, int address) throws HostBuiltin.Undefined {
        if (!(TextModuleValues.read(wasm, address) instanceof RegoValue.Num n)) {
            throw new HostBuiltin.Undefined("operand must be a number");
        }
        return JsonPatch.atoi64(n.text());
    }

    private static int number(OpaWasm wasm, long value) {
        return WasmValues.writeJson(wasm, Long.toString(value));
    }

    private static void checkSize(long bytes) {
        if (bytes > TextModuleValues.MAX_RESULT_BYTES) {
            throw new HostBuiltin.Halt("a string result of more than " + TextModuleValues.MAX_RESULT_BYTES
                    + " bytes");
        }
    }

    /** The first index of {@code needle} (non-empty) in {@code s} at or after {@code from}, or -1. */
    private static int indexOf(byte[] s, byte[] needle, int from) {
        byte first = needle[0];
        for (int i = from, last = s.length - needle.length; i <= last; i++) {
            if (s[i] == first && Arrays.equals(s, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ calling convention

    /** Computes a builtin on the module's values; returns a value address, 0 for undefined. */
    @FunctionalInterface
    private interface ModuleFn {
        int apply(OpaWasm wasm, int[] args) throws Exception;
    }

    /**
     * A builtin that reads its operands from, and writes its result into, the module's memory itself (not as
     * JSON, see {@link TextModuleValues}), with {@link HostBuiltin}'s error rule: any failure is undefined, except
     * {@link HostBuiltin.Halt}, which fails the evaluation.
     */
    private static final class ModuleBuiltin implements OpaBuiltin.Builtin {
        private final String name;
        private final ModuleFn fn;

        ModuleBuiltin(String name, ModuleFn fn) {
            this.name = name;
            this.fn = fn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int asBuiltin1(OpaWasm wasm, int a) {
            return call(wasm, a);
        }

        @Override
        public int asBuiltin2(OpaWasm wasm, int a, int b) {
            return call(wasm, a, b);
        }

        @Override
        public int asBuiltin3(OpaWasm wasm, int a, int b, int c) {
            return call(wasm, a, b, c);
        }

        private int call(OpaWasm wasm, int... args) {
            try {
                return fn.apply(wasm, args);
            } catch (HostBuiltin.Halt e) {
                throw e;
            } catch (Exception | StackOverflowError e) {
                return 0; // undefined, as OPA's wasm runtime does for a builtin error
            }
        }
    }
}
