package io.trainwatch.tuner;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.kafka.KafkaTestResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The service starts against the real test broker, is elected at once as the only tuner instance of its group, and
 * answers health (with its role) and Prometheus metrics.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class TunerServiceSmokeIT {

    @Test
    void readyWithTheBrokerAsTheActiveInstanceAndExposesMetrics() {
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/q/health/ready").statusCode() == 200);
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.data.role", hasItem("active"));
        given().when().get("/q/health/live").then().statusCode(200).body("checks.data.role", hasItem("active"));
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"))
                .body(containsString("tuner_leader 1.0"));
    }
}
