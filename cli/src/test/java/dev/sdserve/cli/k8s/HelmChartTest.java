package dev.sdserve.cli.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.sdserve.cli.SdCli;
import dev.sdserve.orchestrator.OrchestratorConfig;
import dev.sdserve.runtime.SdConfig;
import dev.sdserve.textencoder.TextEncoderConfig;
import dev.sdserve.unet.UnetConfig;
import dev.sdserve.vae.VaeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The Helm chart deploy/helm/sdserve, rendered by Helm's own engine (helm-java) with no helm binary and no
 * cluster: non-default values give the objects asked for, every object validates against the Kubernetes 1.32
 * API schema ({@link KubernetesSchema}), the chart lints clean in strict mode, every sd.* key it writes is one
 * its service declares, and {@code sd k8s render} prints the same manifests.
 */
class HelmChartTest {
    static final Path CHART = HelmChart.inRepository(Path.of("")).orElseThrow();
    static final String NS = "imaging";
    static final String RELEASE = "prod";

    /** Non-default values: replicas, a GPU for the UNet, a custom registry, tag and image, resources, limits. */
    static final List<String> CUSTOM = List.of(
            "unet.replicas=3", "vae.replicas=2", "textEncoder.replicas=2", "orchestrator.replicas=2",
            "unet.gpu=true", "image.registry=registry.example.com", "image.tag=1.2.3",
            "unet.image.repository=acme/unet-service-cuda",
            "unet.resources.requests.cpu=6", "unet.resources.requests.memory=20Gi",
            "unet.resources.limits.cpu=8", "unet.resources.limits.memory=24Gi",
            "unet.maxSessions=32", "unet.featureStore.maxBytes=8589934592", "unet.pdb.maxUnavailable=2",
            "models.type=hostPath", "models.hostPath.path=/mnt/sd-models", "models.defaultModel=sd15",
            "orchestrator.service.type=LoadBalancer", "orchestrator.maxConcurrent=6");

    static List<Map<String, Object>> render(List<String> sets) {
        return render(RELEASE, sets);
    }

    static List<Map<String, Object>> render(String release, List<String> sets) {
        return parse(RenderCommand.render(CHART, release, NS, sets, List.of(), RenderCommand.DEFAULT_KUBE_VERSION));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> parse(String yaml) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (doc != null) out.add((Map<String, Object>) doc);
        }
        return out;
    }

    static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(path(o, "metadata.name")))
                .findFirst().orElseThrow(() -> new AssertionError(kind + " " + name + " not rendered"));
    }

    /** A dotted path into nested maps; a numeric segment indexes a list. */
    @SuppressWarnings("unchecked")
    static <T> T path(Object o, String dotted) {
        for (String part : dotted.split("\\.")) {
            if (o == null) return null;
            o = o instanceof List<?> l ? l.get(Integer.parseInt(part)) : ((Map<String, Object>) o).get(part);
        }
        return (T) o;
    }

    static Properties properties(List<Map<String, Object>> objects, String configMap) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader((String) ((Map<?, ?>) find(objects, "ConfigMap", configMap).get("data")).get("application.properties")));
        return p;
    }

    static Map<String, Object> container(Map<String, Object> deployment) {
        return path(deployment, "spec.template.spec.containers.0");
    }

    @Test
    void nonDefaultValuesGiveTheObjectsAskedFor() throws IOException {
        List<Map<String, Object>> objects = render(CUSTOM);
        Map<String, Long> kinds = objects.stream().collect(Collectors.groupingBy(o -> (String) o.get("kind"), Collectors.counting()));
        assertEquals(Map.of("Deployment", 4L, "Service", 6L, "ConfigMap", 4L, "NetworkPolicy", 4L,
                "PodDisruptionBudget", 1L, "ServiceAccount", 1L), kinds, "hostPath models: no PVC");

        Map<String, Integer> replicas = Map.of("prod-sdserve-unet", 3, "prod-sdserve-vae", 2,
                "prod-sdserve-text-encoder", 2, "prod-sdserve-orchestrator", 2);
        Map<String, Integer> ports = Map.of("prod-sdserve-orchestrator", 50051, "prod-sdserve-text-encoder", 50052,
                "prod-sdserve-unet", 50053, "prod-sdserve-vae", 50054);
        for (var e : replicas.entrySet()) {
            Map<String, Object> d = find(objects, "Deployment", e.getKey());
            assertEquals(e.getValue(), path(d, "spec.replicas"), e.getKey());
            Map<String, Object> c = container(d);
            int grpc = ports.get(e.getKey());
            assertEquals(grpc, (Integer) path(c, "ports.0.containerPort"), e.getKey());
            assertEquals("grpc", path(c, "ports.0.name"));
            // native gRPC probes on the gRPC port (grpc.health.v1): startup, readiness and liveness
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                assertEquals(grpc, (Integer) path(c, probe + ".grpc.port"), e.getKey() + " " + probe);
            }
            // the pod's labels carry the selector's, so the Deployment owns its pods
            Map<String, Object> selector = path(d, "spec.selector.matchLabels");
            Map<String, Object> podLabels = path(d, "spec.template.metadata.labels");
            assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), e.getKey());
            // config: the stage's ConfigMap, mounted, named by QUARKUS_CONFIG_LOCATIONS
            assertEquals(e.getKey(), path(d, "spec.template.spec.volumes.0.configMap.name"));
            assertEquals("/etc/sdserve", path(c, "volumeMounts.0.mountPath"));
            assertEquals("/etc/sdserve/application.properties", env(c).get("QUARKUS_CONFIG_LOCATIONS"));
            assertEquals("/mnt/sd-models", path(d, "spec.template.spec.volumes.1.hostPath.path"));
            assertEquals("/models", env(c).get("SD_MODELS_DIR"));
            Properties p = properties(objects, e.getKey());
            assertEquals("0.0.0.0", p.getProperty("quarkus.grpc.server.host"), e.getKey() + " must listen beyond loopback");
            assertEquals("0.0.0.0", p.getProperty("quarkus.http.host"));
            assertEquals(String.valueOf(grpc), p.getProperty("quarkus.grpc.server.port"));
            assertEquals("/models", p.getProperty("sd.models.roots"));
            assertEquals("sd15", p.getProperty("sd.models.default-model"));
        }

        // images: registry/repository/service:tag, the UNet's own repository
        assertEquals("registry.example.com/acme/unet-service-cuda:1.2.3", path(container(find(objects, "Deployment", "prod-sdserve-unet")), "image"));
        assertEquals("registry.example.com/sdserve/vae-service:1.2.3", path(container(find(objects, "Deployment", "prod-sdserve-vae")), "image"));

        // resources, and gpu: true adds nvidia.com/gpu to the UNet's limits only, and selects CUDA
        Map<String, Object> unet = container(find(objects, "Deployment", "prod-sdserve-unet"));
        assertEquals(Map.of("cpu", 6, "memory", "20Gi"), path(unet, "resources.requests"));
        assertEquals(Map.of("cpu", 8, "memory", "24Gi", "nvidia.com/gpu", 1), path(unet, "resources.limits"));
        assertFalse(((Map<?, ?>) path(container(find(objects, "Deployment", "prod-sdserve-vae")), "resources.limits")).containsKey("nvidia.com/gpu"));
        Properties unetProps = properties(objects, "prod-sdserve-unet");
        assertEquals("cuda", unetProps.getProperty("sd.runtime.execution-provider"));
        assertEquals("cpu", properties(objects, "prod-sdserve-vae").getProperty("sd.runtime.execution-provider"));
        assertEquals("32", unetProps.getProperty("sd.unet.max-sessions"));
        assertEquals("8589934592", unetProps.getProperty("sd.unet.feature-store.max-bytes"), "no float formatting of large values");

        // the headless unet Service, which the orchestrator's rendered config names
        Map<String, Object> headless = find(objects, "Service", "prod-sdserve-unet-headless");
        assertEquals("None", path(headless, "spec.clusterIP"));
        assertEquals(false, path(headless, "spec.publishNotReadyAddresses"));
        assertEquals((Object) path(find(objects, "Deployment", "prod-sdserve-unet"), "spec.selector.matchLabels"), path(headless, "spec.selector"));
        Properties orch = properties(objects, "prod-sdserve-orchestrator");
        assertEquals("prod-sdserve-unet-headless." + NS + ".svc.cluster.local", orch.getProperty("quarkus.grpc.clients.unet.host"));
        assertEquals("50053", orch.getProperty("quarkus.grpc.clients.unet.port"));
        assertEquals("prod-sdserve-text-encoder-headless." + NS + ".svc.cluster.local", orch.getProperty("quarkus.grpc.clients.text-encoder.host"));
        assertEquals("prod-sdserve-vae-headless." + NS + ".svc.cluster.local", orch.getProperty("quarkus.grpc.clients.vae.host"));
        for (String client : List.of("text-encoder", "unet", "vae")) {
            assertEquals("dns", orch.getProperty("quarkus.grpc.clients." + client + ".name-resolver"), client);
            // the orchestrator's own balancing unless orchestrator.loadBalancingPolicy is set
            assertEquals(null, orch.getProperty("quarkus.grpc.clients." + client + ".load-balancing-policy"), client);
        }
        assertEquals("round_robin", properties(render(List.of("orchestrator.loadBalancingPolicy=round_robin")), "prod-sdserve-orchestrator")
                .getProperty("quarkus.grpc.clients.unet.load-balancing-policy"));
        assertEquals("6", orch.getProperty("sd.orchestrator.max-concurrent"));
        for (String svc : List.of("prod-sdserve-text-encoder", "prod-sdserve-vae")) {
            assertEquals("ClusterIP", path(find(objects, "Service", svc), "spec.type"));
            assertEquals((Object) path(find(objects, "Deployment", svc), "spec.selector.matchLabels"), path(find(objects, "Service", svc), "spec.selector"));
            Map<String, Object> stageHeadless = find(objects, "Service", svc + "-headless");
            assertEquals("None", path(stageHeadless, "spec.clusterIP"));
            assertEquals((Object) path(find(objects, "Deployment", svc), "spec.selector.matchLabels"), path(stageHeadless, "spec.selector"));
        }
        // the public API
        Map<String, Object> api = find(objects, "Service", "prod-sdserve");
        assertEquals("LoadBalancer", path(api, "spec.type"));
        assertEquals(50051, (Integer) path(api, "spec.ports.0.port"));
        assertEquals((Object) path(find(objects, "Deployment", "prod-sdserve-orchestrator"), "spec.selector.matchLabels"), path(api, "spec.selector"));

        // the PDB covers the unet pods
        Map<String, Object> pdb = find(objects, "PodDisruptionBudget", "prod-sdserve-unet");
        assertEquals(2, (Integer) path(pdb, "spec.maxUnavailable"));
        assertEquals((Object) path(find(objects, "Deployment", "prod-sdserve-unet"), "spec.selector.matchLabels"), path(pdb, "spec.selector.matchLabels"));

        // NetworkPolicy: each stage's gRPC port only from the orchestrator's pods
        Map<String, Object> orchestratorPods = path(find(objects, "Deployment", "prod-sdserve-orchestrator"), "spec.selector.matchLabels");
        for (String stage : List.of("prod-sdserve-text-encoder", "prod-sdserve-unet", "prod-sdserve-vae")) {
            Map<String, Object> np = find(objects, "NetworkPolicy", stage);
            assertEquals((Object) path(find(objects, "Deployment", stage), "spec.selector.matchLabels"), path(np, "spec.podSelector.matchLabels"));
            assertEquals(List.of("Ingress"), path(np, "spec.policyTypes"));
            List<Object> ingress = path(np, "spec.ingress");
            assertEquals(1, ingress.size(), stage + ": one rule, no metrics rule by default");
            assertEquals(List.of(Map.of("podSelector", Map.of("matchLabels", orchestratorPods))), path(ingress.get(0), "from"));
            assertEquals(List.of(Map.of("protocol", "TCP", "port", ports.get(stage))), path(ingress.get(0), "ports"));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> out = new HashMap<>();
        for (Object e : (List<Object>) container.get("env")) out.put(path(e, "name"), path(e, "value"));
        return out;
    }

    @Test
    void defaultValuesGiveOneReplicaEachOnCpuWithAModelsClaim() throws IOException {
        // --set values are typed as helm's: "false" is the boolean false, not a (truthy) string
        List<Map<String, Object>> objects = render("sdserve", List.of("unet.gpu=false"));
        for (Map<String, Object> o : objects) {
            if ("Deployment".equals(o.get("kind"))) {
                assertEquals(1, (Integer) path(o, "spec.replicas"));
                assertFalse(((Map<?, ?>) path(container(o), "resources.limits")).containsKey("nvidia.com/gpu"));
                assertEquals("sdserve-models", path(o, "spec.template.spec.volumes.1.persistentVolumeClaim.claimName"));
                assertEquals(true, path(o, "spec.template.spec.volumes.1.persistentVolumeClaim.readOnly"));
            }
        }
        Map<String, Object> pvc = find(objects, "PersistentVolumeClaim", "sdserve-models");
        assertEquals(List.of("ReadOnlyMany"), path(pvc, "spec.accessModes"));
        assertEquals("sdserve-unet-headless." + NS + ".svc.cluster.local",
                properties(objects, "sdserve-orchestrator").getProperty("quarkus.grpc.clients.unet.host"));
        // release "prod" gets prod-sdserve-*, release "sdserve" (containing the chart's name) just sdserve-*
        assertTrue(objects.stream().noneMatch(o -> String.valueOf((Object) path(o, "metadata.name")).startsWith("prod-")));
    }

    @Test
    void everyRenderedObjectValidatesAgainstTheKubernetes132ApiSchema() {
        for (List<String> sets : List.of(List.<String>of(), CUSTOM, List.of("networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring",
                "networkPolicy.apiFrom[0].ipBlock.cidr=10.0.0.0/8", "models.pvc.existingClaim=shared-models",
                "tracing.enabled=true", "tracing.otlpEndpoint=http://otel:4317", "unet.pdb.enabled=false",
                "unet.tolerations[0].key=nvidia.com/gpu", "unet.tolerations[0].operator=Exists",
                "unet.nodeSelector.accelerator=h100", "unet.extraEnv[0].name=SD_DEBUG", "unet.extraEnv[0].value=1"))) {
            List<Map<String, Object>> objects = render(sets);
            assertTrue(objects.size() >= 17, sets + ": " + objects.size() + " objects");
            for (Map<String, Object> o : objects) KubernetesSchema.validate(o);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theSchemaCheckRejectsUnknownFieldsMissingRequiredFieldsAndWrongTypes() {
        // the check above can fail: the same Deployment, broken three ways
        Map<String, Object> ok = find(render("sdserve", List.of()), "Deployment", "sdserve-unet");
        KubernetesSchema.validate(ok);

        Map<String, Object> misspelt = parse(new Yaml().dump(ok)).get(0);
        container(misspelt).put("readinesProbe", container(misspelt).remove("readinessProbe"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubernetesSchema.validate(misspelt));
        assertTrue(e.getMessage().contains("readinesProbe"), e.getMessage());

        Map<String, Object> unnamed = parse(new Yaml().dump(ok)).get(0);
        container(unnamed).remove("name");
        e = assertThrows(IllegalArgumentException.class, () -> KubernetesSchema.validate(unnamed));
        assertTrue(e.getMessage().contains("name"), e.getMessage());

        Map<String, Object> wrongType = parse(new Yaml().dump(ok)).get(0);
        ((Map<String, Object>) wrongType.get("spec")).put("replicas", "three");
        assertThrows(IllegalArgumentException.class, () -> KubernetesSchema.validate(wrongType));

        Map<String, Object> badQuantity = parse(new Yaml().dump(ok)).get(0);
        ((Map<String, Object>) path(container(badQuantity), "resources.limits")).put("memory", "lots");
        assertThrows(IllegalArgumentException.class, () -> KubernetesSchema.validate(badQuantity));
    }

    @Test
    void chartLintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
        assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")), lint.getMessages().toString());
    }

    /**
     * A service refuses to start on an sd.* key that none of its @ConfigMapping interfaces declares (SmallRye's
     * SRCFG00050, seen on a vae-service given {@code sd.vae.no-such-key}): the chart writes none.
     */
    @Test
    void everySdKeyTheChartWritesIsOneItsServiceDeclares() throws IOException {
        Map<Class<?>, String> shared = Map.of(SdConfig.Models.class, "sd.models", SdConfig.Runtime.class, "sd.runtime");
        Map<String, Map<Class<?>, String>> mappings = Map.of(
                "sdserve-orchestrator", Map.of(OrchestratorConfig.class, "sd.orchestrator"),
                "sdserve-text-encoder", Map.of(TextEncoderConfig.class, "sd.text-encoder"),
                "sdserve-unet", Map.of(UnetConfig.class, "sd.unet"), "sdserve-vae", Map.of(VaeConfig.class, "sd.vae"));
        List<Map<String, Object>> objects = render("sdserve", List.of("unet.cacheTensor=/up_blocks.3/attentions.1/Add_output_0"));
        for (var m : mappings.entrySet()) {
            Set<String> declared = new TreeSet<>();
            shared.forEach((c, prefix) -> declared.addAll(keys(c, prefix)));
            m.getValue().forEach((c, prefix) -> declared.addAll(keys(c, prefix)));
            Set<String> written = new TreeSet<>(properties(objects, m.getKey()).stringPropertyNames());
            written.removeIf(k -> !k.startsWith("sd."));
            assertTrue(written.size() >= 10, m.getKey() + ": " + written);
            Set<String> unknown = new TreeSet<>(written);
            unknown.removeAll(declared);
            assertEquals(Set.of(), unknown, m.getKey() + ": keys no @ConfigMapping of the service declares (it has " + declared + ")");
        }
        assertTrue(keys(UnetConfig.class, "sd.unet").contains("sd.unet.feature-store.max-bytes"), "nested groups are walked");
    }

    /**
     * The keys of a @ConfigMapping interface (its prefix given: SmallRye's annotations are not on this classpath):
     * prefix + each method's name in kebab case (SmallRye's default naming), groups walked.
     */
    private static Set<String> keys(Class<?> type, String prefix) {
        Set<String> out = new TreeSet<>();
        for (Method m : type.getMethods()) {
            if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0) continue;
            String key = prefix + "." + m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
            Class<?> r = m.getReturnType();
            if (r.isInterface() && r.getName().startsWith("dev.sdserve.")) out.addAll(keys(r, key));
            else out.add(key);
        }
        return out;
    }

    @Test
    void renderCommandPrintsTheManifestsAndNamesBadInput() {
        String[] out = run("k8s", "render", "--set", "unet.replicas=4", "--namespace", NS);
        assertEquals("0", out[0], out[2]);
        List<Map<String, Object>> objects = parse(out[1]);
        assertEquals(4, (Integer) path(find(objects, "Deployment", "sdserve-unet"), "spec.replicas"));

        String[] bad = run("k8s", "render", "--set", "unet.replicas");
        assertEquals("1", bad[0]);
        assertTrue(bad[2].contains("ERROR INVALID_ARGUMENT: --set: expected KEY=VALUE, got 'unet.replicas'"), bad[2]);

        String[] badType = run("k8s", "render", "--set", "models.type=nfs");
        assertEquals("1", badType[0]);
        assertTrue(badType[2].contains("INVALID_ARGUMENT") && badType[2].contains("models.type must be pvc or hostPath, got \"nfs\""), badType[2]);

        String[] noChart = run("k8s", "render", "--chart", "target");
        assertEquals("1", noChart[0]);
        assertTrue(noChart[2].contains("ERROR NOT_FOUND: --chart: target has no Chart.yaml"), noChart[2]);

        String[] noFile = run("k8s", "render", "--values", "no-such-values.yaml");
        assertEquals("1", noFile[0]);
        assertTrue(noFile[2].contains("ERROR NOT_FOUND: --values: no such file no-such-values.yaml"), noFile[2]);
    }

    @Test
    void aValuesFileIsApplied() throws IOException {
        Path values = Files.createTempFile("sdserve-values", ".yaml");
        try {
            Files.writeString(values, "unet:\n  replicas: 5\n  gpu: true\nvae:\n  replicas: 2\n");
            String[] out = run("k8s", "render", "--values", values.toString(), "--set", "vae.replicas=3");
            assertEquals("0", out[0], out[2]);
            List<Map<String, Object>> objects = parse(out[1]);
            assertEquals(5, (Integer) path(find(objects, "Deployment", "sdserve-unet"), "spec.replicas"));
            assertEquals(3, (Integer) path(find(objects, "Deployment", "sdserve-vae"), "spec.replicas"), "--set wins over --values");
        } finally {
            Files.delete(values);
        }
    }

    /** The chart packaged in the CLI (for runs outside the repository) is the repository's chart, file for file. */
    @Test
    void thePackagedChartIsTheRepositoryChart() throws IOException {
        Path unpacked = HelmChart.unpackResource();
        assertEquals(files(CHART), files(unpacked));
        for (String f : files(CHART)) assertEquals(Files.readString(CHART.resolve(f)), Files.readString(unpacked.resolve(f)), f);
    }

    static Set<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = SdCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }
}
