using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CallEvents.Deployment.Tests;

/// <summary>The repository's deploy/ directory and the environment variables its files set.</summary>
public static partial class DeployFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Deploy => Path.Combine(RepositoryRoot, "deploy");

    /// <summary>Every environment variable name set by a deploy file, with the file that sets it.</summary>
    public static IReadOnlyList<(string File, string Name)> EnvironmentVariables()
    {
        var found = new List<(string, string)>();
        var compose = Path.Combine(Deploy, "compose.yaml");
        foreach (var (service, environment) in ComposeEnvironments(compose))
        {
            if (service != "postgres")
            {
                found.AddRange(environment.Keys.Select(k => ("compose.yaml", k)));
            }
        }

        found.AddRange(EnvFile(Path.Combine(Deploy, ".env.example")).Keys.Select(k => (".env.example", k)));
        foreach (var file in Directory.GetFiles(Path.Combine(Deploy, "kubernetes"), "*.yaml"))
        {
            found.AddRange(KubernetesVariables(file).Select(k => (Path.GetFileName(file), k)));
        }

        foreach (var file in Directory.GetFiles(Path.Combine(Deploy, "systemd")))
        {
            var name = Path.GetFileName(file);
            var text = File.ReadAllLines(file);
            if (name.EndsWith(".service", StringComparison.Ordinal))
            {
                found.AddRange(text.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
                    .Select(l => (name, l["Environment=".Length..].Split('=')[0])));
            }
            else
            {
                found.AddRange(EnvFile(file).Keys.Select(k => (name, k)));
            }
        }

        var inEnv = false;
        foreach (var line in File.ReadAllLines(Path.Combine(Deploy, "Dockerfile")))
        {
            if (line.StartsWith("ENV ", StringComparison.Ordinal) || inEnv)
            {
                var match = DockerEnv().Match(line);
                if (match.Success)
                {
                    found.Add(("Dockerfile", match.Groups["name"].Value));
                }

                inEnv = line.TrimEnd().EndsWith('\\');
            }
        }

        return found;
    }

    /// <summary>The environment of each compose service, merge keys (<c>&lt;&lt;: *anchor</c>) resolved.</summary>
    public static Dictionary<string, Dictionary<string, string>> ComposeEnvironments(string path)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var services = (YamlMappingNode)root.Children[new YamlScalarNode("services")];
        var result = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (name, node) in services.Children)
        {
            var service = Merged((YamlMappingNode)node);
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            if (service.TryGetValue("environment", out var env) && env is YamlMappingNode mapping)
            {
                foreach (var (key, value) in Merged(mapping))
                {
                    environment[key] = ((YamlScalarNode)value).Value ?? string.Empty;
                }
            }

            result[((YamlScalarNode)name).Value!] = environment;
        }

        return result;
    }

    /// <summary>KEY=VALUE lines (comments and blank lines skipped).</summary>
    public static Dictionary<string, string> EnvFile(string path) =>
        File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

    private static IEnumerable<string> KubernetesVariables(string path)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            stream.Load(reader);
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root)
            {
                continue;
            }

            var kind = root.Children.TryGetValue(new YamlScalarNode("kind"), out var k) ? ((YamlScalarNode)k).Value : null;
            if (kind == "Secret" && root.Children.TryGetValue(new YamlScalarNode("stringData"), out var data))
            {
                foreach (var key in ((YamlMappingNode)data).Children.Keys)
                {
                    yield return ((YamlScalarNode)key).Value!;
                }
            }

            foreach (var name in EnvNames(root))
            {
                yield return name;
            }
        }
    }

    /// <summary>Every <c>env: [{name: …}]</c> entry anywhere in the document.</summary>
    private static IEnumerable<string> EnvNames(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (((YamlScalarNode)key).Value == "env" && value is YamlSequenceNode entries)
                    {
                        foreach (var entry in entries.OfType<YamlMappingNode>())
                        {
                            yield return ((YamlScalarNode)entry.Children[new YamlScalarNode("name")]).Value!;
                        }
                    }
                    else
                    {
                        foreach (var name in EnvNames(value))
                        {
                            yield return name;
                        }
                    }
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var name in sequence.SelectMany(EnvNames))
                {
                    yield return name;
                }

                break;
        }
    }

    private static Dictionary<string, YamlNode> Merged(YamlMappingNode mapping)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (((YamlScalarNode)key).Value == "<<" && value is YamlMappingNode merged)
            {
                foreach (var (mk, mv) in Merged(merged))
                {
                    result.TryAdd(mk, mv);
                }
            }
        }

        foreach (var (key, value) in mapping.Children)
        {
            if (((YamlScalarNode)key).Value != "<<")
            {
                result[((YamlScalarNode)key).Value!] = value;
            }
        }

        return result;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansHost.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (OrleansHost.sln) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^(?:ENV)?\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex DockerEnv();
}
