using OrleansHost.Hosting;

var app = CallEventHost.Build(args);
await app.RunAsync();
