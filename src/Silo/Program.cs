using FedSim.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A standalone FedSim silo (see SiloSettings for its FEDSIM__* settings and README "Run on a cluster").
var builder = WebApplication.CreateBuilder(args);
var settings = SiloSettings.From(builder.Configuration);
SiloHostConfiguration.Configure(builder, settings);
var app = builder.Build();
SiloHostConfiguration.MapEndpoints(app);
var logs = app.Services.GetRequiredService<ILoggerFactory>();
var logger = logs.CreateLogger("FedSim.Silo");
SiloShutdown.Bound(app.Lifetime, logger, logs);
await SiloHostConfiguration.PrepareDatabaseAsync(settings, logger, TimeSpan.FromMinutes(2), app.Lifetime.ApplicationStopping);
await app.RunAsync();
SiloShutdown.Stopped(logger);
