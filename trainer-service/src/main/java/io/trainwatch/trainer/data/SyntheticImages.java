package io.trainwatch.trainer.data;

import java.util.Random;

/**
 * Seeded synthetic images for convolutional models, no download: class {@code c} of {@code C} is a Gaussian
 * blob whose centre sits on a ring around the image centre at angle {@code 2 pi c / C} (radius a quarter of the
 * smaller side, spread 12 % of it), jittered by up to an eighth of the side in each direction, with a random
 * brightness in [0.5, 1] and, on colour images, a colour of its own; every pixel gets Gaussian noise of
 * standard deviation {@code noise}. Pixels are returned channel-first ({@code [channels, height, width]}, the
 * NCHW layout Deeplearning4j's convolution layers expect), flattened in C order.
 */
public final class SyntheticImages {

    private SyntheticImages() {
    }

    /**
     * {@code samples} images of {@code height x width x channels} in {@code classes} classes (example {@code i} is of
     * class {@code i mod classes}).
     */
    public static Examples blobs(int height, int width, int channels, int classes, int samples, double noise,
                                 long seed) {
        Random r = new Random(seed);
        double side = Math.min(height, width);
        double radius = side / 4;
        double spread = Math.max(1.0, 0.12 * side);
        int jitter = Math.max(1, (int) (side / 8));
        double[][] colour = new double[classes][channels];
        for (int c = 0; c < classes; c++) {
            for (int ch = 0; ch < channels; ch++) {
                colour[c][ch] = channels == 1 ? 1.0 : 0.3 + 0.7 * r.nextDouble();
            }
        }
        int plane = height * width;
        float[][] x = new float[samples][channels * plane];
        int[] y = new int[samples];
        double[] blob = new double[plane];
        for (int i = 0; i < samples; i++) {
            int c = i % classes;
            double angle = 2 * Math.PI * c / classes;
            double cy = (height - 1) / 2.0 + radius * Math.sin(angle) + r.nextInt(2 * jitter + 1) - jitter;
            double cx = (width - 1) / 2.0 + radius * Math.cos(angle) + r.nextInt(2 * jitter + 1) - jitter;
            double brightness = 0.5 + 0.5 * r.nextDouble();
            for (int py = 0; py < height; py++) {
                for (int px = 0; px < width; px++) {
                    double d2 = (py - cy) * (py - cy) + (px - cx) * (px - cx);
                    blob[py * width + px] = brightness * Math.exp(-d2 / (2 * spread * spread));
                }
            }
            for (int ch = 0; ch < channels; ch++) {
                int base = ch * plane;
                for (int p = 0; p < plane; p++) {
                    x[i][base + p] = (float) (colour[c][ch] * blob[p] + r.nextGaussian() * noise);
                }
            }
            y[i] = c;
        }
        return new Examples(x, y, classes, new int[]{channels, height, width});
    }
}
