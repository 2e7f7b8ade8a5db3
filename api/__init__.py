"""fairgrid HTTP and GraphQL layer: parse input, call a service, map errors."""
