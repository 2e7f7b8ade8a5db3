package org.fairgrid.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single OpenSearch node whose modules are loaded from the classpath instead of a distribution's
 * modules/ folder. {@link Node}'s plugin-accepting constructor is protected, hence the subclass.
 */
public final class TestNode extends Node {

    /** Modules fairgrid's index needs: HTTP/transport (netty4), the english analyzer, painless. */
    static final List<Class<? extends Plugin>> MODULES =
        List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class);

    TestNode(Environment env) {
        super(env, MODULES, true);
    }

    /** Settings for a throw-away single-node cluster; everything lives under {@code work}. */
    static Settings settings(Path work, int httpPort, int transportPort) {
        return Settings.builder()
            .put("cluster.name", "fairgrid-test")
            .put("node.name", "fairgrid-test-node")
            .put("path.home", work.toString())
            .put("path.data", work.resolve("data").toString())
            .put("path.logs", work.resolve("logs").toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // CI disks are often more than 90% full; tests must not turn read-only because of that.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Small machines: keep the node from sizing pools for many cores.
            .put("node.processors", Math.min(2, Runtime.getRuntime().availableProcessors()))
            .put("indices.breaker.total.use_real_memory", false)
            .put("action.destructive_requires_name", false)
            .build();
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "deploy/.run/opensearch").toAbsolutePath();
        int httpPort = intArg(args, 1, "FAIRGRID_OPENSEARCH_PORT", 9250);
        int transportPort = intArg(args, 2, "FAIRGRID_OPENSEARCH_TRANSPORT_PORT", 9350);
        Files.createDirectories(work.resolve("config"));
        Files.createDirectories(work.resolve("data"));
        Files.createDirectories(work.resolve("logs"));

        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings(work, httpPort, transportPort), Map.of(), work.resolve("config"), () -> "fairgrid-test-node");
        TestNode node = new TestNode(env);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "fairgrid-node-shutdown"));
        node.start();
        System.out.println("fairgrid-test node started: http://127.0.0.1:" + httpPort);
        stopped.await();
    }

    private static int intArg(String[] args, int i, String env, int dflt) {
        String v = args.length > i ? args[i] : System.getenv(env);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
    }
}
