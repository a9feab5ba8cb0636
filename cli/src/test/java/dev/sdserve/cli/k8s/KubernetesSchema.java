package dev.sdserve.cli.k8s;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;

/**
 * Offline validation of a Kubernetes object against the Kubernetes 1.32 API, through the official Java
 * client's models (io.kubernetes:client-java-api 23.0.x, generated from Kubernetes 1.32's OpenAPI spec):
 * each model's generated {@code validateJsonElement} rejects a field the API does not define and a missing
 * required field, at every nesting level, and Gson's typed read rejects a value of the wrong type (a string
 * where an integer goes, a malformed quantity). Not checked here, as only an API server does: enum values,
 * name formats (DNS-1123), cross-field rules (e.g. a selector matching the template's labels; asserted by
 * HelmChartTest itself) and admission.
 */
final class KubernetesSchema {
    /** apiVersion/kind → the model generated from the API's schema for it. */
    private static final Map<String, Class<?>> MODELS = Map.of(
            "apps/v1/Deployment", V1Deployment.class,
            "v1/Service", V1Service.class,
            "v1/ConfigMap", V1ConfigMap.class,
            "v1/ServiceAccount", V1ServiceAccount.class,
            "v1/PersistentVolumeClaim", V1PersistentVolumeClaim.class,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", V1NetworkPolicy.class);

    private KubernetesSchema() {
    }

    /** Throws IllegalArgumentException naming the object and what the API schema rejects. */
    static void validate(Map<String, Object> object) {
        String id = object.get("apiVersion") + "/" + object.get("kind");
        Class<?> model = MODELS.get(id);
        if (model == null) throw new IllegalArgumentException(id + ": not a kind this chart is expected to render");
        JsonElement json = new Gson().toJsonTree(object);
        String name = id + " " + ((Map<?, ?>) object.getOrDefault("metadata", Map.of())).get("name");
        try {
            model.getMethod("validateJsonElement", JsonElement.class).invoke(null, json);
            new JSON();
            JSON.getGson().fromJson(json, model);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
