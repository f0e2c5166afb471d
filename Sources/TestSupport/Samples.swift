import Booking
