package org.fairgrid.elasticsearch;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterName;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

/**
 * The pieces of the default distribution that fairgrid needs and the integ-test-zip lacks (its
 * analysis-common and rest-root modules are not published on Maven Central): the "english" analyzer,
 * Lucene's EnglishAnalyzer as analysis-common builds it with default settings; the token filters that
 * fairgrid's own analyzer chains ("lowercase", "asciifolding", and "stemmer" for english and
 * possessive_english), the same Lucene filters analysis-common makes for those names and settings; and
 * the `GET /` banner from which clients read the version and distribution.
 */
public class TestModule extends Plugin implements AnalysisPlugin, ActionPlugin {
    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("english", (indexSettings, env, name, settings) -> new AbstractIndexAnalyzerProvider<EnglishAnalyzer>(name, settings) {
            private final EnglishAnalyzer analyzer = new EnglishAnalyzer();

            @Override
            public EnglishAnalyzer get() {
                return analyzer;
            }
        });
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", (indexSettings, env, name, settings) -> filter(name, settings, LowerCaseFilter::new),
            "asciifolding", (indexSettings, env, name, settings) -> filter(name, settings, ASCIIFoldingFilter::new),
            "stemmer", (indexSettings, env, name, settings) -> stemmer(name, settings));
    }

    private static TokenFilterFactory filter(String name, Settings settings, UnaryOperator<TokenStream> make) {
        return new AbstractTokenFilterFactory(name, settings) {
            @Override
            public TokenStream create(TokenStream input) {
                return make.apply(input);
            }
        };
    }

    private static TokenFilterFactory stemmer(String name, Settings settings) {
        String language = settings.get("language", settings.get("name", "porter"));
        return switch (language) {
            case "english", "porter" -> filter(name, settings, PorterStemFilter::new);
            case "possessive_english" -> filter(name, settings, EnglishPossessiveFilter::new);
            default -> throw new IllegalArgumentException(
                "the fairgrid test module's stemmer knows english and possessive_english, not " + language);
        };
    }

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry registry,
            RestController controller, ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings,
            SettingsFilter settingsFilter, IndexNameExpressionResolver resolver,
            Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        String cluster = ClusterName.CLUSTER_NAME_SETTING.get(settings).value();
        String node = settings.get("node.name", "");
        return List.of(new BaseRestHandler() {
            @Override
            public String getName() {
                return "fairgrid_main_action";
            }

            @Override
            public List<Route> routes() {
                return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
            }

            @Override
            protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
                return channel -> {
                    XContentBuilder b = channel.newBuilder();
                    Build build = Build.current();
                    b.startObject().field("name", node).field("cluster_name", cluster);
                    b.startObject("version").field("number", build.qualifiedVersion())
                        .field("build_flavor", build.flavor()).field("build_type", build.type().displayName())
                        .field("build_hash", build.hash()).field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                        .endObject();
                    b.field("tagline", "You Know, for Search").endObject();
                    channel.sendResponse(new RestResponse(RestStatus.OK, b));
                };
            }
        });
    }
}
