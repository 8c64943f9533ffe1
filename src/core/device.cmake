# Accel front end sources
