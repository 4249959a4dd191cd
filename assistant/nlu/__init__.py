"""Danish understanding helpers: municipality matching and the crisis pattern layer."""
