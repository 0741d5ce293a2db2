package dev.mcpguard.core.http;

import dev.mcpguard.core.internal.ClientText;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of {@link McpGuardHttpFilter} that handles an authenticated MCP POST before the SDK sees it.
 *
 * <ol>
 *   <li>A declared {@code Content-Length} above the limit is 413 at once; the body is never read.</li>
 *   <li>An in-flight slot of the principal and of the session is reserved (429 when either is full) and held
 *       until the response completes, so one principal cannot occupy more than its share of workers.</li>
 *   <li>The body is read into memory. When all of a small declared body has already arrived (the usual POST),
 *       it is read at once on the request thread, each read preceded by {@code available() > 0} so none blocks;
 *       otherwise with servlet non-blocking I/O: while a client trickles it, no worker thread waits for it. Over
 *       the size limit is 413, slower than the read timeout is 408; both close the connection.</li>
 *   <li>The buffered message is inspected ({@link JsonRpcMessageInspector}): malformed bodies and notifications
 *       a client may not send are 400 with a bounded, escaped DEBUG line, and never reach the SDK (which logs
 *       them whole). A {@code notifications/roots/list_changed} while another one is still being handled on the
 *       same session is coalesced into it (answered 202, not handed on): the SDK blocks a worker on each one
 *       until the client answers its {@code roots/list} request or the request times out. A message other than
 *       {@code initialize} whose {@code MCP-Protocol-Version} header the filter found unsupported is 400.</li>
 *   <li>The request goes on with the buffered body: on the same thread when it had already arrived, otherwise
 *       dispatched again, asynchronously, to the same filter chain.</li>
 * </ol>
 *
 * <p>Without async support (a container or mapping that does not allow it) the body is read with blocking I/O,
 * still bounded in size; the read time is then bounded only by the container's read timeout. Thread-safe.
 */
final class McpPostGate {

    /** Marks a request the gate has read and re-dispatched, so the filter hands it straight on. */
    static final String FORWARDED_ATTRIBUTE = McpPostGate.class.getName() + ".forwarded";

    private static final Logger log = LoggerFactory.getLogger(McpPostGate.class);
    private static final int READ_CHUNK = 8192;
    /** The largest declared body {@link Exchange#readArrivedBody} reads on the request thread. */
    static final int ARRIVED_BODY_MAX_BYTES = 64 * 1024;

    private final HttpRequestLimits limits;
    private final PrincipalRequestLimiter limiter;
    private final ProtocolVersionHeader protocolVersion;
    private final Clock clock;
    private final JsonRpcMessageInspector inspector = new JsonRpcMessageInspector();

    McpPostGate(HttpRequestLimits limits, PrincipalRequestLimiter limiter, ProtocolVersionHeader protocolVersion,
                Clock clock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.protocolVersion = Objects.requireNonNull(protocolVersion, "protocolVersion");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Reads, checks and hands on {@code request}; {@code response} is the raw response the gate writes its own
     * refusals to, {@code downstream} the wrapped one the SDK gets; {@code unsupportedVersion} is the request's
     * {@code MCP-Protocol-Version} when the filter found it unsupported, else null.
     */
    void handle(HttpServletRequest request, HttpServletResponse response, HttpServletResponse downstream,
                FilterChain chain, String principal, String subject, String sessionId, String unsupportedVersion)
            throws IOException, ServletException {
        long declared = request.getContentLengthLong();
        if (declared > limits.maxBodyBytes()) {
            log.debug("Refused MCP request body over the limit: declared={} limit={} subject={} remote={}", declared,
                    limits.maxBodyBytes(), ClientText.forLog(subject), request.getRemoteAddr());
            JsonRpcErrors.refuse(response, 413, JsonRpcErrors.LIMIT_EXCEEDED, "request body too large");
            RefusedRequestBodies.closeWithoutDraining(request, response);
            return;
        }
        PrincipalRequestLimiter.InFlightPermit permit = limiter.tryAcquireInFlight(principal, sessionId);
        if (permit == null) {
            log.debug("Refused MCP request over the in-flight limit: subject={} remote={}",
                    ClientText.forLog(subject), request.getRemoteAddr());
            response.setHeader("Retry-After", "1");
            JsonRpcErrors.refuse(response, 429, JsonRpcErrors.LIMIT_EXCEEDED, "too many requests in flight");
            RefusedRequestBodies.closeWithoutDraining(request, response);
            return;
        }
        Exchange exchange = new Exchange(request, response, downstream, chain, subject, sessionId, permit,
                unsupportedVersion);
        try {
            if (request.isAsyncSupported()) {
                if (!exchange.readArrivedBody()) {
                    exchange.readAsynchronously();
                }
            } else {
                exchange.readBlocking();
            }
        } catch (IOException | ServletException | RuntimeException e) {
            exchange.finish();
            throw e;
        }
    }

    /** One POST on its way through the gate. */
    private final class Exchange implements ReadListener, AsyncListener {
        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private final HttpServletResponse downstream;
        private final FilterChain chain;
        private final String subject;
        private final String sessionId;
        private final PrincipalRequestLimiter.InFlightPermit permit;
        private final String unsupportedVersion;
        private final BufferedBodyRequest buffered;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        /** Set by whoever settles the read first: all data read, too large, timed out, failed. */
        private final AtomicBoolean settled = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile boolean rootsRefresh;
        private final Instant deadline = clock.instant().plus(limits.bodyReadTimeout());
        private AsyncContext async;
        private ServletInputStream input;

        Exchange(HttpServletRequest request, HttpServletResponse response, HttpServletResponse downstream,
                 FilterChain chain, String subject, String sessionId, PrincipalRequestLimiter.InFlightPermit permit,
                 String unsupportedVersion) {
            this.request = request;
            this.response = response;
            this.downstream = downstream;
            this.chain = chain;
            this.subject = subject;
            this.sessionId = sessionId;
            this.permit = permit;
            this.unsupportedVersion = unsupportedVersion;
            this.buffered = new BufferedBodyRequest(request);
        }

        void readAsynchronously() throws IOException {
            async = request.startAsync(buffered, downstream);
            // The deadline is checked as bytes arrive; a client that stops sending is closed by the container's
            // read timeout. This timeout is for a client that does neither.
            async.setTimeout(limits.bodyReadTimeout().plus(RefusedRequestBodies.BACKSTOP).toMillis());
            async.addListener(this);
            input = request.getInputStream();
            input.setReadListener(this);
        }

        void readBlocking() throws IOException, ServletException {
            InputStream in = request.getInputStream();
            byte[] chunk = new byte[READ_CHUNK];
            int n;
            while ((n = in.read(chunk)) != -1) {
                body.write(chunk, 0, n);
                if (body.size() > limits.maxBodyBytes()) {
                    settled.set(true);
                    refuseTooLarge();
                    finish();
                    return;
                }
            }
            settled.set(true);
            handOnHere(body.toByteArray());
        }

        /**
         * Reads the body on this thread when all of it has already arrived, the common case of a small POST: no
         * read blocks (each read is preceded by {@code available() > 0}), and the request goes on without an
         * async cycle and a second dispatch. Only for a declared length up to {@value McpPostGate#ARRIVED_BODY_MAX_BYTES}
         * bytes (a larger one is not allocated up front). Returns false when the rest of the body has not
         * arrived yet; what was read is then kept and the read continues asynchronously.
         */
        boolean readArrivedBody() throws IOException, ServletException {
            long declared = request.getContentLengthLong();
            if (declared < 0 || declared > ARRIVED_BODY_MAX_BYTES) {
                return false;
            }
            InputStream in = request.getInputStream();
            if (declared > 0 && in.available() <= 0) {
                return false;
            }
            byte[] message = new byte[(int) declared];
            int read = 0;
            while (read < message.length) {
                if (in.available() <= 0) {
                    body.write(message, 0, read);
                    return false;
                }
                int n = in.read(message, read, message.length - read);
                if (n < 0) {
                    // Fewer bytes than declared: the inspector judges what came, as after a non-blocking read.
                    message = Arrays.copyOf(message, read);
                    break;
                }
                read += n;
            }
            settled.set(true);
            handOnHere(message);
            return true;
        }

        /** Inspects {@code message} and, when admitted, runs the rest of the chain with it on this thread. */
        private void handOnHere(byte[] message) throws IOException, ServletException {
            if (!admitted(message)) {
                finish();
                return;
            }
            buffered.body(message);
            try {
                chain.doFilter(buffered, downstream);
            } finally {
                if (request.isAsyncStarted()) {
                    request.getAsyncContext().addListener(this);
                } else {
                    finish();
                }
            }
        }

        @Override
        public void onDataAvailable() throws IOException {
            if (settled.get()) {
                throw new IOException("refused request: its body is not read");
            }
            byte[] chunk = new byte[READ_CHUNK];
            while (input.isReady()) {
                int n = input.read(chunk);
                if (n == -1) {
                    return;
                }
                body.write(chunk, 0, n);
                if (body.size() > limits.maxBodyBytes() && settled.compareAndSet(false, true)) {
                    refuseTooLarge();
                    abort();
                }
                if (clock.instant().isAfter(deadline) && settled.compareAndSet(false, true)) {
                    refuseTooSlow();
                    abort();
                }
            }
        }

        /**
         * Ends the exchange without the container draining the rest of the body: throwing from a read callback
         * makes it call {@link #onError(Throwable)} and close the connection.
         */
        private void abort() throws IOException {
            finish();
            throw new IOException("refused request: its body is not read");
        }

        @Override
        public void onAllDataRead() throws IOException {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            byte[] message = body.toByteArray();
            if (!admitted(message)) {
                async.complete();
                return;
            }
            buffered.body(message);
            request.setAttribute(FORWARDED_ATTRIBUTE, Boolean.TRUE);
            // No timeout for what the SDK does next; it sets its own on the async cycle it starts.
            async.setTimeout(0);
            async.dispatch();
        }

        @Override
        public void onError(Throwable failure) {
            finish();
            if (settled.compareAndSet(false, true)) {
                // Read timeout or a broken connection: the container closes it; nothing useful can be sent.
                log.debug("MCP request body could not be read: subject={} remote={} error={}",
                        ClientText.forLog(subject), request.getRemoteAddr(), failure.getClass().getName());
            }
        }

        /** True when the message may go on; otherwise the refusal has been written. */
        private boolean admitted(byte[] message) throws IOException {
            JsonRpcMessageInspector.Inspection inspection = inspector.inspect(message);
            if (inspection.kind() == JsonRpcMessageInspector.Kind.MALFORMED) {
                log.debug("Refused malformed MCP message: problem={} bytes={} subject={} remote={}",
                        inspection.problem(), message.length, ClientText.forLog(subject), request.getRemoteAddr());
                JsonRpcErrors.refuse(response, 400, JsonRpcErrors.INVALID_REQUEST,
                        "invalid JSON-RPC message: " + inspection.problem());
                return false;
            }
            if (inspection.kind() == JsonRpcMessageInspector.Kind.UNKNOWN_NOTIFICATION) {
                log.debug("Refused unknown MCP notification: method={} subject={} remote={}",
                        ClientText.forLog(inspection.method(), 80), ClientText.forLog(subject),
                        request.getRemoteAddr());
                JsonRpcErrors.refuse(response, 400, JsonRpcErrors.INVALID_REQUEST, "unknown notification method");
                return false;
            }
            if (unsupportedVersion != null && !"initialize".equals(inspection.method())) {
                // initialize negotiates the version in its body; every later message must name a supported one.
                protocolVersion.refuse(request, response, subject, unsupportedVersion);
                return false;
            }
            if (JsonRpcMessageInspector.ROOTS_LIST_CHANGED.equals(inspection.method()) && sessionId != null) {
                if (!limiter.tryStartRootsRefresh(sessionId)) {
                    log.debug("Coalesced a roots/list_changed notification into the one in flight: subject={}",
                            ClientText.forLog(subject));
                    response.setStatus(HttpServletResponse.SC_ACCEPTED);
                    response.setContentLength(0);
                    return false;
                }
                rootsRefresh = true;
            }
            if (inspection.id() != null) {
                request.setAttribute(GuardRequestAttributes.JSONRPC_REQUEST_ID, inspection.id());
            }
            return true;
        }

        private void refuseTooLarge() throws IOException {
            log.debug("Refused MCP request body over the limit: limit={} subject={} remote={}", limits.maxBodyBytes(),
                    ClientText.forLog(subject), request.getRemoteAddr());
            JsonRpcErrors.refuse(response, 413, JsonRpcErrors.LIMIT_EXCEEDED, "request body too large");
        }

        /** Gives the in-flight slot (and a roots refresh mark) back, once. */
        void finish() {
            if (finished.compareAndSet(false, true)) {
                permit.release();
                if (rootsRefresh) {
                    limiter.endRootsRefresh(sessionId);
                }
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            finish();
        }

        @Override
        public void onTimeout(AsyncEvent event) throws IOException {
            if (settled.compareAndSet(false, true)) {
                refuseTooSlow();
            }
            finish();
            event.getAsyncContext().complete();
        }

        private void refuseTooSlow() throws IOException {
            log.debug("Refused MCP request whose body took longer than {}: received={} subject={} remote={}",
                    limits.bodyReadTimeout(), body.size(), ClientText.forLog(subject), request.getRemoteAddr());
            JsonRpcErrors.refuse(response, 408, JsonRpcErrors.LIMIT_EXCEEDED, "request body too slow");
        }

        @Override
        public void onError(AsyncEvent event) {
            finish();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // The SDK starts an async cycle of its own for requests answered over SSE: stay until that one ends.
            event.getAsyncContext().addListener(this);
        }
    }
}
