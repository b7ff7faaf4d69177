package io.honua.db.bench;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The terminal of a benchmark run: everything the JVM prints ({@code System.out} and {@code System.err}: Flyway,
 * HikariCP, JMH with its forked JVMs, the test kit, the scenario tables) goes to a log file, the terminal gets only what
 * {@link #say} and {@link #progress} write. Logging is slf4j-simple on this classpath, which writes to
 * {@code System.err} as it is when each message is logged, so it follows the redirect.
 */
final class BenchConsole implements AutoCloseable {

    private final PrintStream terminal;
    private final PrintStream log;
    private final Path logFile;
    private final PrintStream savedOut;
    private final PrintStream savedErr;
    private final boolean redirected;

    private BenchConsole(PrintStream terminal, PrintStream log, Path logFile, boolean redirected) {
        this.terminal = terminal;
        this.log = log;
        this.logFile = logFile;
        this.savedOut = System.out;
        this.savedErr = System.err;
        this.redirected = redirected;
    }

    /** Appends all output of this JVM to {@code logFile} from now on; the terminal keeps the current {@code System.out}. */
    static BenchConsole redirect(Path logFile) throws IOException {
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8);
        BenchConsole console = new BenchConsole(System.out, log, logFile, true);
        System.setOut(log);
        System.setErr(log);
        return console;
    }

    /** Writes the progress lines to {@code terminal} and the chatter to {@code log}, without touching System.out/err. */
    static BenchConsole of(PrintStream terminal, PrintStream log, Path logFile) {
        return new BenchConsole(terminal, log, logFile, false);
    }

    PrintStream log() {
        return log;
    }

    Path logFile() {
        return logFile;
    }

    /** One line on the terminal (and in the log, so that the log alone tells the whole story). */
    void say(String line) {
        terminal.println(line);
        terminal.flush();
        if (log != terminal) {
            log.println("==== " + line);
        }
    }

    /** A block of lines (the results table) on the terminal and in the log. */
    void print(String block) {
        terminal.print(block);
        terminal.flush();
        if (log != terminal) {
            log.print(block);
        }
    }

    /** {@code [k/n] name … elapsed mm:ss, ~mm:ss left}. */
    void progress(int k, int n, String name, Duration elapsed, Duration left) {
        int width = String.valueOf(n).length();
        say(String.format(Locale.ROOT, "[%" + width + "d/%d] %s … elapsed %s, ~%s left", k, n, name, mmss(elapsed), mmss(left)));
    }

    static String mmss(Duration d) {
        long s = Math.max(0, Math.round(d.toMillis() / 1000.0));
        return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    /** A stream that writes to the log and keeps a copy (the text of a scenario for the report). */
    static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }

    @Override
    public void close() {
        log.flush();
        if (redirected) {
            System.setOut(savedOut);
            System.setErr(savedErr);
            log.close();
        }
    }
}
