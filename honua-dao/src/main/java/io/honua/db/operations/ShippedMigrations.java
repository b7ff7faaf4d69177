package io.honua.db.operations;

import io.honua.db.schema.HonuaMigrations;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The versioned migrations shipped on the class path ({@code db/migration/V<version>__<description>.sql}). */
final class ShippedMigrations {

    private static final String FOLDER = "db/migration";
    private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__.+\\.sql");

    private ShippedMigrations() {
    }

    private static volatile Optional<String> latest;

    /**
     * The newest shipped version, as Flyway writes it in {@code flyway_schema_history} ("15", "1.2"); read once per
     * class loader. Empty when the class path cannot be listed (then {@code health()} says so).
     */
    static Optional<String> latest() {
        Optional<String> l = latest;
        if (l == null) {
            try {
                l = Optional.of(scan());
            } catch (RuntimeException e) {
                l = Optional.empty();
            }
            latest = l;
        }
        return l;
    }

    private static String scan() {
        List<String> versions = new ArrayList<>();
        try {
            Enumeration<URL> roots = HonuaMigrations.class.getClassLoader().getResources(FOLDER);
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                for (String name : names(root)) {
                    Matcher m = VERSIONED.matcher(name);
                    if (m.matches()) {
                        versions.add(m.group(1).replace('_', '.'));
                    }
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list " + FOLDER + " on the class path", e);
        }
        return versions.stream().max(ShippedMigrations::compare)
                .orElseThrow(() -> new IllegalStateException("no versioned migration under " + FOLDER + " on the class path"));
    }

    private static List<String> names(URL root) throws IOException, URISyntaxException {
        List<String> names = new ArrayList<>();
        if ("file".equals(root.getProtocol())) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of(root.toURI()))) {
                files.forEach(f -> names.add(f.getFileName().toString()));
            }
        } else if ("jar".equals(root.getProtocol())) {
            JarURLConnection connection = (JarURLConnection) root.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                    String entry = entries.nextElement().getName();
                    if (entry.startsWith(FOLDER + "/") && entry.indexOf('/', FOLDER.length() + 1) < 0) {
                        names.add(entry.substring(FOLDER.length() + 1));
                    }
                }
            }
        }
        return names;
    }

    /** Compares dotted numeric versions part by part ("9" < "12" < "12.1"). */
    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            java.math.BigInteger p = i < x.length ? new java.math.BigInteger(x[i]) : java.math.BigInteger.ZERO;
            java.math.BigInteger q = i < y.length ? new java.math.BigInteger(y[i]) : java.math.BigInteger.ZERO;
            int c = p.compareTo(q);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    static final Comparator<String> ORDER = ShippedMigrations::compare;
}
