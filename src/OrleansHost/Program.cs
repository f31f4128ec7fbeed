using CallEvents.Hosting;

return await CallEventHost.RunAsync(args);
