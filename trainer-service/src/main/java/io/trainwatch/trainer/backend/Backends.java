package io.trainwatch.trainer.backend;

import org.nd4j.linalg.factory.Nd4j;

import java.util.Properties;

/** Names the ND4J backend and device the runs train on, for {@code run-started}. */
public final class Backends {

    private static volatile String backend;
    private static volatile String device;

    private Backends() {
    }

    /** {@code nd4j-native} (CPU) or {@code nd4j-cuda-11.6}. */
    public static String backend() {
        if (backend == null) {
            String name = Nd4j.getBackend().getClass().getSimpleName();
            backend = name.toLowerCase().contains("cuda") ? "nd4j-cuda-11.6" : "nd4j-native";
        }
        return backend;
    }

    /** A short description of the device, e.g. {@code cpu x86_64 (2 cores, avx2)}. */
    public static String device() {
        if (device == null) {
            String d;
            try {
                Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
                Object gpus = env.get("cuda.devicesInformation");
                if (gpus != null) {
                    d = "gpu " + gpus;
                } else {
                    d = "cpu " + System.getProperty("os.arch") + " (" + Runtime.getRuntime().availableProcessors()
                            + " cores" + (env.get("cpu.avx2") != null ? ", " + env.get("blas.vendor") : "") + ")";
                }
            } catch (RuntimeException e) {
                d = "cpu " + System.getProperty("os.arch");
            }
            device = d.length() > 200 ? d.substring(0, 200) : d;
        }
        return device;
    }
}
