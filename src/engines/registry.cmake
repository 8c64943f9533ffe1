# engine registry
