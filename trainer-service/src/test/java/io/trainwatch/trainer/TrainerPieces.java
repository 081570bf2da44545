package io.trainwatch.trainer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.trainer.command.CommandListener;
import io.trainwatch.trainer.config.TrainerSettings;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.run.RunManager;

import java.nio.file.Path;
import java.util.Map;

/**
 * A trainer assembled by hand, without Quarkus: its run manager and command listener over a broker, with its state
 * dir. {@link TrainerRestartIT} runs one in a child JVM that it kills, then another in its own JVM.
 */
final class TrainerPieces {

    final RunManager runs;
    final CommandListener commands;

    TrainerPieces(String bootstrapServers, Path stateDir) {
        TrainerSettings settings = settings(stateDir);
        KafkaClients clients = new KafkaClients(Map.of("bootstrap.servers", bootstrapServers));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        this.runs = new RunManager(settings, clients, registry);
        this.commands = new CommandListener(clients, runs, settings, registry);
    }

    /** The documented defaults, with this state dir and the checkpoints and telemetry spill beside it. */
    static TrainerSettings settings(Path stateDir) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().addDefaultInterceptors() // ${...} defaults, as Quarkus
                .withMapping(TrainerSettings.class)
                .withSources(new MapBackedConfigSource("test", Map.of(
                        "trainwatch.trainer.state-dir", stateDir.toString(),
                        "trainwatch.trainer.checkpoint-dir", stateDir.resolve("checkpoints").toString(),
                        "trainwatch.trainer.spill-dir", stateDir.resolve("spill").toString(),
                        "trainwatch.trainer.trials-enabled", "false"), 500) {
                })
                .build();
        return config.getConfigMapping(TrainerSettings.class);
    }

    /** A run of the default MLP on spirals that trains far longer than any test waits, every 10th step published. */
    static RunSpec longRun() {
        return RunSpecParser.parse(Map.of("maxSteps", 1_000_000, "epochs", 1_000_000, "sampleEvery", 10,
                "learningRate", 0.001));
    }

    /**
     * The trainer that {@link TrainerRestartIT} kills: starts its command listener and a long run, then trains
     * until the process is killed. Arguments: bootstrap servers, state dir, run id.
     */
    public static void main(String[] args) throws Exception {
        TrainerPieces trainer = new TrainerPieces(args[0], Path.of(args[1]));
        trainer.commands.start();
        while (!trainer.commands.isReady()) {
            Thread.sleep(50);
        }
        trainer.runs.startRest(args[2], longRun());
        System.out.println("started " + args[2]);
        Thread.sleep(Long.MAX_VALUE);
    }
}
