package dev.mcpguard.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 over a raw socket, for tests of what a well-behaved client never sends (slow or partial bodies). */
public final class RawHttp {

    private RawHttp() {
    }

    /** Reads the status line and headers, up to and including the blank line. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            last4 = (last4 << 8) | b;
            if (last4 == 0x0d0a0d0a) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * True when the server closes the connection (end of stream after the rest of the response, or a reset)
     * within the socket's read timeout, although the client never sent the rest of the body.
     */
    public static boolean closedByServer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) != -1) {
                // the rest of the response
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server: closed as well
        }
    }
}
