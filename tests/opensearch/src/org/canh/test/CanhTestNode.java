/* CanhTestNode: a real single-node OpenSearch 2.19 cluster for Canh's tests.
 *
 * Starts a Node subclass (the protected constructor takes classpath plugins)
 * with Netty4Plugin, so the node has its real HTTP layer, bound to 127.0.0.1. Data lives under --home and
 * survives a restart with the same --home (the outage test relies on it).
 * Writes the bound HTTP port to --port-file once the node has started, then
 * waits; SIGTERM closes the node cleanly (shutdown hook).
 */
package org.canh.test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.settings.Settings;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class CanhTestNode {
    private CanhTestNode() {}

    /* Node's public constructor loads plugins only from path.home/plugins
     * and modules; the protected one also takes classpath plugins. */
    private static final class PluginNode extends Node {
        PluginNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private static void usage() {
        System.err.println("usage: CanhTestNode --home DIR [--port N] [--port-file FILE]");
        System.exit(2);
    }

    /* A port that was free a moment ago; the node's own bind error says
     * so if another process took it in between. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public static void main(String[] args) throws Exception {
        String home = null, portFile = null;
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) usage();
            switch (args[i]) {
                case "--home": home = args[++i]; break;
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--port-file": portFile = args[++i]; break;
                default: usage();
            }
        }
        if (home == null) usage();
        Path homePath = Paths.get(home).toAbsolutePath();
        Files.createDirectories(homePath.resolve("data"));
        Files.createDirectories(homePath.resolve("logs"));
        if (port == 0) port = freePort();

        Settings settings = Settings.builder()
            .put("cluster.name", "canh-test")
            .put("node.name", "canh-test-node")
            .put("path.home", homePath.toString())
            .put("path.data", homePath.resolve("data").toString())
            .put("path.logs", homePath.resolve("logs").toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(port))
            .put("transport.port", "0")
            /* A shared CI disk may be fuller than the default 85% watermark;
             * that must not turn the test indices read-only. */
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .build();

        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), null, () -> "canh-test-node");
        final Node node = new PluginNode(env, Arrays.asList(Netty4Plugin.class));
        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "canh-test-node-shutdown"));

        node.start();
        int bound = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress().getPort();
        System.out.println("canh-test-node: http on 127.0.0.1:" + bound);
        if (portFile != null) {
            /* Written whole then renamed, so a reader never sees half a port. */
            Path tmp = Paths.get(portFile + ".tmp");
            Files.write(tmp, (bound + "\n").getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, Paths.get(portFile), StandardCopyOption.ATOMIC_MOVE,
                       StandardCopyOption.REPLACE_EXISTING);
        }
        closed.await();
    }
}
