package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayInputStream;
import dev.mcpguard.core.internal.ClientText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads the files of a {@code .tar.gz} bundle into memory under {@link BundleLimits}. Names are normalised the
 * way OPA does (a leading {@code /} is stripped); anything that could escape the bundle or confuse a reader is
 * refused: {@code ..} or empty segments, absolute paths after stripping, backslashes, symbolic and hard links,
 * devices, FIFOs, sparse files and duplicate names. Directories are skipped. Thread-safe (stateless).
 */
final class BundleArchive {

    private BundleArchive() {
    }

    /** The bundle's files by normalised name, in archive order. */
    static Map<String, byte[]> read(byte[] tarGz, BundleLimits limits) throws BundleException {
        if (tarGz.length > limits.maxCompressedBytes()) {
            throw new BundleException("bundle is " + tarGz.length + " bytes compressed, over the limit of "
                    + limits.maxCompressedBytes());
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        long total = 0;
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(tarGz));
                TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String rawName = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (!isRegularFile(entry)) {
                    throw new BundleException("bundle entry " + printable(rawName)
                            + " is not a regular file (links, devices and sparse files are refused)");
                }
                String name = normalise(rawName);
                if (files.containsKey(name)) {
                    throw new BundleException("bundle contains " + printable(name) + " more than once");
                }
                if (files.size() + 1 > limits.maxFiles()) {
                    throw new BundleException("bundle has more than " + limits.maxFiles() + " files");
                }
                long remaining = limits.maxUncompressedBytes() - total;
                byte[] content = readAtMost(tar, remaining, limits);
                total += content.length;
                files.put(name, content);
            }
            drainTrailer(gzip, limits.maxUncompressedBytes());
        } catch (BundleException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            // commons-compress signals malformed headers with IllegalArgumentException as well as IOException.
            throw new BundleException("bundle is not a valid .tar.gz archive: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + printable(e.getMessage())), e);
        }
        if (files.isEmpty()) {
            throw new BundleException("bundle archive contains no files");
        }
        return Collections.unmodifiableMap(files);
    }

    /** Only plain file entries: commons-compress's isFile() also answers true for some links. */
    private static boolean isRegularFile(TarArchiveEntry entry) {
        byte flag = entry.getLinkFlag();
        return (flag == TarArchiveEntry.LF_NORMAL || flag == TarArchiveEntry.LF_OLDNORM)
                && !entry.isSymbolicLink() && !entry.isLink() && !entry.isSparse() && !entry.isCharacterDevice() && !entry.isBlockDevice()
                && !entry.isFIFO();
    }

    /** Strips one leading slash, as OPA does, then refuses names that could escape or alias. */
    static String normalise(String rawName) throws BundleException {
        String name = rawName.startsWith("/") ? rawName.substring(1) : rawName;
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
                || name.matches("^[A-Za-z]:.*")) {
            throw new BundleException("bundle entry has an unsafe name: " + printable(rawName));
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new BundleException("bundle entry has an unsafe name: " + printable(rawName));
            }
        }
        return name;
    }

    private static byte[] readAtMost(InputStream in, long remaining, BundleLimits limits)
            throws IOException, BundleException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        long read = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            read += n;
            if (read > remaining) {
                throw new BundleException("bundle is over the limit of " + limits.maxUncompressedBytes()
                        + " bytes uncompressed");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Reads the gzip stream to its end after the last entry, so a truncated stream or a bad CRC is detected
     * rather than silently accepted; the padding read is bounded too.
     */
    private static void drainTrailer(InputStream gzip, long limit) throws IOException, BundleException {
        byte[] buffer = new byte[8192];
        long read = 0;
        int n;
        while ((n = gzip.read(buffer)) != -1) {
            read += n;
            if (read > limit) {
                throw new BundleException("bundle has more than " + limit + " bytes of trailing data");
            }
        }
    }

    /** Names and parser messages come from the archive: quoted, escaped and bounded as any client text in a log. */
    static String printable(String text) {
        return "'" + ClientText.forLog(text, 120) + "'";
    }
}
