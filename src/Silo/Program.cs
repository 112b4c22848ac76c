using FedSim.Silo;
using Microsoft.Extensions.Hosting;

// A standalone FedSim silo for multi-silo clusters; the embedded default needs none of this.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => SiloHostConfiguration.Configure(silo, builder.Configuration));
await builder.Build().RunAsync();
