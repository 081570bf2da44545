package io.trainwatch.trainer.backend;

import java.nio.file.Path;

/**
 * Points JavaCPP's native-library cache and DL4J's resource folder at project folders (JavaCPP unpacks
 * ~400 MB on first use, by default into {@code ~/.javacpp/cache}), unless the JVM was started with them.
 * Must run before the first ND4J class loads.
 */
public final class NativeDirs {

    public static final String JAVACPP_CACHE = "org.bytedeco.javacpp.cachedir";
    public static final String DL4J_RESOURCES = "org.deeplearning4j.resources.directory";

    private NativeDirs() {
    }

    /** Sets both properties to {@code <root>/javacpp} and {@code <root>/dl4j} where they are not set. */
    public static void configure(Path root) {
        if (System.getProperty(JAVACPP_CACHE) == null) {
            System.setProperty(JAVACPP_CACHE, root.resolve("javacpp").toAbsolutePath().toString());
        }
        if (System.getProperty(DL4J_RESOURCES) == null) {
            System.setProperty(DL4J_RESOURCES, root.resolve("dl4j").toAbsolutePath().toString());
        }
    }
}
