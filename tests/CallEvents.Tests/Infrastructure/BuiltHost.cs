using System.Reflection;

namespace CallEvents.Tests.Infrastructure;

/// <summary>The built executable (src/OrleansHost), for tests that run the host as a process.</summary>
public static class BuiltHost
{
    private const string MetadataKey = "CallEvents.OrleansHostDll";

    /// <summary>Full path of OrleansHost.dll in the configuration these tests were built in.</summary>
    public static string DllPath
    {
        get
        {
            var path = typeof(BuiltHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == MetadataKey).Value!;
            if (!File.Exists(path))
            {
                // Only the solution build orders the executable before these tests.
                throw new InvalidOperationException($"{path} does not exist: build the solution (dotnet build OrleansHost.sln) before running these tests on their own.");
            }

            return path;
        }
    }
}
