package io.trainwatch.service;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** With {@code trainwatch.api-token} set, writes need the bearer token and reads stay open. */
@QuarkusTest
class ApiTokenFilterIT {

    @Test
    void readsStayOpen() {
        given().get("/echo").then().statusCode(200).body(equalTo("read"));
    }

    @Test
    void writesWithoutTheTokenAreUnauthorized() {
        given().body("x").post("/echo").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body(containsString("bearer token is required"));
        given().delete("/echo").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").body("x").post("/echo").then().statusCode(401);
        given().header("Authorization", "Basic czNjcmV0LXRva2Vu").body("x").post("/echo").then().statusCode(401);
    }

    @Test
    void writesWithTheTokenPass() {
        given().header("Authorization", "Bearer s3cret-token").body("x").post("/echo").then().statusCode(200)
                .body(equalTo("wrote x"));
        given().header("Authorization", "bearer s3cret-token").delete("/echo").then().statusCode(200);
    }

    @Test
    void unknownPathsStillNeedTheTokenForWrites() {
        given().body("x").post("/nowhere").then().statusCode(401);
    }
}
