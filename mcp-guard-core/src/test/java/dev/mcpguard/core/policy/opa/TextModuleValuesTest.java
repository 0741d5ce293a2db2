package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How {@link TextModuleValues} reads a dumped value's NUL-terminated text out of module memory. */
class TextModuleValuesTest {

    private static final int PAGES = 2;

    private static Memory memoryWith(int address, int length) {
        Memory memory = new ByteArrayMemory(new MemoryLimits(PAGES, PAGES));
        byte[] text = new byte[length];
        for (int i = 0; i < length; i++) {
            text[i] = (byte) ('a' + i % 26);
        }
        memory.write(address, text);
        memory.writeByte(address + length, (byte) 0);
        // Bytes after the terminator must not be read into the value.
        if (address + length + 8 <= PAGES * Memory.PAGE_SIZE) {
            memory.write(address + length + 1, "garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        return memory;
    }

    private static byte[] expected(int length) {
        byte[] text = new byte[length];
        for (int i = 0; i < length; i++) {
            text[i] = (byte) ('a' + i % 26);
        }
        return text;
    }

    @Test
    void readsTextOfEveryLengthAroundTheChunkSizesUpToItsTerminator() {
        for (int length : new int[] {0, 1, 63, 64, 65, 127, 128, 191, 192, 193, 4095, 4096, 4097, 10_000, 70_000}) {
            Memory memory = memoryWith(16, length);
            assertThat(TextModuleValues.cString(memory, 16)).as("length %d", length).isEqualTo(expected(length));
        }
    }

    @Test
    void readsTextThatEndsAtTheLastByteOfMemory() {
        int size = PAGES * Memory.PAGE_SIZE;
        int length = 100;
        Memory memory = memoryWith(size - length - 1, length);
        assertThat(TextModuleValues.cString(memory, size - length - 1)).isEqualTo(expected(length));
    }

    @Test
    void refusesTextWithNoTerminatorBeforeTheEndOfMemory() {
        int size = PAGES * Memory.PAGE_SIZE;
        Memory memory = new ByteArrayMemory(new MemoryLimits(PAGES, PAGES));
        byte[] ones = new byte[300];
        Arrays.fill(ones, (byte) 1);
        memory.write(size - ones.length, ones);
        assertThatThrownBy(() -> TextModuleValues.cString(memory, size - ones.length))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("past the end");
    }
}
