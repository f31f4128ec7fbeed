namespace CallEvents.Send;

/// <summary>
/// Entry point: <c>dotnet run --project tools/CallEvents.Send -- &lt;url&gt; &lt;source&gt; [event] [options]</c>.
/// Exit code 0 when the host answered 2xx, 1 otherwise (bad arguments, a network error, any other status).
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => SendCommand.RunAsync(args, Console.Out, Console.Error);
}
