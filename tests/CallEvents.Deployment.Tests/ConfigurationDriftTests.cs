using System.Collections;
using System.Reflection;
using CallEvents.Hosting;

namespace CallEvents.Deployment.Tests;

/// <summary>
/// Every configuration key the deploy files set (compose, .env example, Kubernetes manifests, systemd unit and its
/// environment file, Dockerfile) binds to a real property of one of the service's options classes, or is a known
/// framework key: a renamed or misspelt option cannot drift unnoticed.
/// </summary>
public sealed class ConfigurationDriftTests
{
    /// <summary>Keys owned by the platform or the orchestration, not by an options class of ours.</summary>
    private static readonly string[] FrameworkPrefixes = ["ASPNETCORE_", "DOTNET_", "OTEL_", "POD_", "ConnectionStrings__", "Logging__"];

    private static readonly string[] FrameworkKeys =
    [
        "Urls", "HTTP_PORTS", "HTTPS_PORTS",
        // Interpolated into compose.yaml's connection string; the silos receive it from .env and ignore it.
        "POSTGRES_PASSWORD",
    ];

    [Fact]
    public void Every_key_in_the_deploy_files_binds_to_an_option_or_is_a_known_framework_key()
    {
        var variables = DeployFiles.EnvironmentVariables();
        Assert.Contains(variables, v => v.File == "compose.yaml" && v.Name == "Orleans__AdvertisedAddress");
        Assert.Contains(variables, v => v.File == "deployment.yaml" && v.Name == "Orleans__Kubernetes");
        Assert.Contains(variables, v => v.File == "secret.example.yaml" && v.Name == "Security__OperatorKeys__0__Key");
        Assert.Contains(variables, v => v.File == "callevents.service" && v.Name == "ASPNETCORE_ENVIRONMENT");
        Assert.Contains(variables, v => v.File == "Dockerfile" && v.Name == "Orleans__ListenOnAnyHostAddress");

        var sections = OptionsSections();
        var unknown = variables.Where(v => Problem(v.Name, sections) is not null).Select(v => $"{v.File}: {v.Name} ({Problem(v.Name, sections)})").Distinct().ToList();
        Assert.True(unknown.Count == 0, "Keys that bind to nothing:\n" + string.Join('\n', unknown));
    }

    [Theory]
    [InlineData("Orleans__SiloPort", true)]
    [InlineData("Orleans__Tls__AllowedThumbprints__0", true)]
    [InlineData("Security__Sources__subverse__Credentials__0__Secret", true)]
    [InlineData("ForwardedHeaders__KnownProxies__0", true)]
    [InlineData("Lifecycle__PcaDeadline", true)]
    [InlineData("Orleans__SiloPrt", false)]
    [InlineData("Orleans__Tls__CertificatePth", false)]
    [InlineData("Security__Sources__subverse__Credentials__first__Secret", false)]
    [InlineData("Nonsense__Key", false)]
    [InlineData("ORLEANS_SILO_PORT", false)]
    public void The_check_tells_real_keys_from_bogus_ones(string key, bool binds) =>
        Assert.Equal(binds, Problem(key, OptionsSections()) is null);

    /// <summary>Null when <paramref name="variable"/> binds; otherwise why not.</summary>
    internal static string? Problem(string variable, IReadOnlyDictionary<string, Type> sections)
    {
        if (FrameworkKeys.Contains(variable, StringComparer.OrdinalIgnoreCase) || FrameworkPrefixes.Any(p => variable.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (!variable.Contains("__", StringComparison.Ordinal))
        {
            return "not a configuration path (Section__Key)";
        }

        var segments = variable.Split("__");
        // The longest options section the path starts with (FollowUps:Callbacks before FollowUps).
        for (var length = segments.Length - 1; length >= 1; length--)
        {
            var section = string.Join(':', segments[..length]);
            var match = sections.FirstOrDefault(s => string.Equals(s.Key, section, StringComparison.OrdinalIgnoreCase));
            if (match.Value is not null)
            {
                return Resolve(match.Value, segments[length..]);
            }
        }

        return "no options class has this section";
    }

    private static string? Resolve(Type type, string[] path)
    {
        foreach (var segment in path)
        {
            if (DictionaryValue(type) is { } value)
            {
                type = value;
                continue;
            }

            if (ElementType(type) is { } element)
            {
                if (!int.TryParse(segment, out _))
                {
                    return $"'{segment}' is not a list index";
                }

                type = element;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetMethod is null)
            {
                return $"{type.Name} has no property {segment}";
            }

            type = property.PropertyType;
        }

        return null;
    }

    private static Type? DictionaryValue(Type type) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)))
            ?.GetGenericArguments()[1];

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
            ?.GetGenericArguments()[0];
    }

    /// <summary>The service's options classes, by their <c>Section</c> constant, from every CallEvents assembly the host loads.</summary>
    internal static IReadOnlyDictionary<string, Type> OptionsSections()
    {
        var assemblies = new HashSet<Assembly> { typeof(CallEventHost).Assembly };
        foreach (var name in typeof(CallEventHost).Assembly.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("CallEvents.", StringComparison.Ordinal)))
        {
            assemblies.Add(Assembly.Load(name));
        }

        var sections = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section
                && type.GetConstructor(Type.EmptyTypes) is not null)
            {
                sections.TryAdd(section, type);
            }
        }

        Assert.Contains(SiloOptions.Section, (IDictionary<string, Type>)sections);
        return sections;
    }
}
