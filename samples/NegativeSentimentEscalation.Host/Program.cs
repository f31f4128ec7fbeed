using CallEvents.Hosting;
using NegativeSentimentEscalation;

// The stock host, plus one follow-up grain. Run with e.g.
//   dotnet run --project samples/NegativeSentimentEscalation.Host -- --Escalation:WebhookUrl=http://127.0.0.1:9000/hooks/chat
return await CallEventHost.RunAsync(args, configureSilo: silo => silo.AddNegativeSentimentEscalation());
