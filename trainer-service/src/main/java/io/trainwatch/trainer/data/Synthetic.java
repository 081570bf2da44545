package io.trainwatch.trainer.data;

import java.util.Random;

/** Seeded generators of classic toy classification sets: spirals, Gaussian blobs, two moons and noisy XOR. */
public final class Synthetic {

    private Synthetic() {
    }

    /** {@code classes} interleaved spiral arms in 2-D (CS231n's spiral data), Gaussian noise of {@code noise}. */
    public static Examples spirals(int classes, int samples, double noise, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[samples][2];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int c = i % classes;
            double t = r.nextDouble(); // radius 0..1 along the arm
            double angle = c * 2 * Math.PI / classes + t * 4.0 + r.nextGaussian() * noise;
            x[i][0] = (float) (t * Math.sin(angle));
            x[i][1] = (float) (t * Math.cos(angle));
            y[i] = c;
        }
        return new Examples(x, y, classes);
    }

    /**
     * {@code classes} Gaussian blobs in {@code features} dimensions: centres drawn from N(0, 2^2) per
     * coordinate, points around them with standard deviation {@code noise}.
     */
    public static Examples blobs(int classes, int features, int samples, double noise, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[classes][features];
        for (int c = 0; c < classes; c++) {
            for (int f = 0; f < features; f++) {
                centres[c][f] = r.nextGaussian() * 2.0;
            }
        }
        float[][] x = new float[samples][features];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int c = i % classes;
            for (int f = 0; f < features; f++) {
                x[i][f] = (float) (centres[c][f] + r.nextGaussian() * noise);
            }
            y[i] = c;
        }
        return new Examples(x, y, classes);
    }

    /** Two interleaving half circles (scikit-learn's make_moons) with Gaussian noise. */
    public static Examples moons(int samples, double noise, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[samples][2];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int c = i % 2;
            double t = Math.PI * r.nextDouble();
            double px = c == 0 ? Math.cos(t) : 1 - Math.cos(t);
            double py = c == 0 ? Math.sin(t) : 0.5 - Math.sin(t);
            x[i][0] = (float) (px + r.nextGaussian() * noise);
            x[i][1] = (float) (py + r.nextGaussian() * noise);
            y[i] = c;
        }
        return new Examples(x, y, 2);
    }

    /** XOR of the signs of two coordinates drawn uniformly from [-1, 1], with Gaussian noise on the inputs. */
    public static Examples xor(int samples, double noise, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[samples][2];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            double a = r.nextDouble() * 2 - 1;
            double b = r.nextDouble() * 2 - 1;
            y[i] = (a > 0) ^ (b > 0) ? 1 : 0;
            x[i][0] = (float) (a + r.nextGaussian() * noise);
            x[i][1] = (float) (b + r.nextGaussian() * noise);
        }
        return new Examples(x, y, 2);
    }
}
