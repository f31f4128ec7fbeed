using CallEvents.Hosting;

var app = CallEventHost.Build(args);
await app.RunAsync();
